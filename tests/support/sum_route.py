"""The small /sum route the HTTP transport and tracing tests serve: a pair of int64s in, their sum out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

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
