"""The small /sum route the HTTP transport and tracing tests serve: a pair of int64s in, their sum out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from kit import endpoint as kep
from kit.endpoint import Endpoint
from kit.transport.http import Int64, add_route, model_decoder, new_app


@dataclass(frozen=True)
class Pair:
    a: int
    b: int


class PairBody(BaseModel):
    a: Int64
    b: Int64


class SumReply(BaseModel):
    v: int


def make_app(endpoint: Endpoint[Pair, int], **options: Any) -> FastAPI:
    """An app with POST /sum over `endpoint`; `options` go to add_route."""
    app = new_app(title="test", version="1.0")
    add_route(
        app,
        "/sum",
        endpoint,
        decode=model_decoder(PairBody, lambda body: Pair(a=body.a, b=body.b)),
        encode=lambda v: {"v": v},
        request_model=PairBody,
        response_model=SumReply,
        **options,
    )
    return app


def asgi_client(app: FastAPI, *, base_url: str = "http://test", raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    """A client that calls `app` in-process, no socket."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@dataclass
class Seen:
    """What the endpoint saw of its request scope, call by call."""

    requests: list[Pair] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)
    clients: list[str | None] = field(default_factory=list)
    transports: list[str] = field(default_factory=list)
    remaining: list[float | None] = field(default_factory=list)


def summing(seen: Seen) -> kep.Endpoint[Pair, int]:
    async def add(request: Pair) -> int:
        seen.requests.append(request)
        seen.request_ids.append(kep.request_id())
        seen.clients.append(kep.client())
        seen.transports.append(kep.transport())
        seen.remaining.append(kep.remaining())
        return request.a + request.b

    return add


async def post(app: FastAPI, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async with asgi_client(app, raise_app_exceptions=False) as client:
        return await client.post("/sum", content=content, headers=headers)
