"""add's HTTP API written the way a newcomer would: bare FastAPI, pydantic bodies, one shared httpx.AsyncClient
calling trim's HTTP `/trim` round-robin over a fixed list. Deliberately plain: no kit, no tuning."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from pydantic import BaseModel


class SumIn(BaseModel):
    """The body of POST /sum."""

    a: int
    b: int


class ConcatIn(BaseModel):
    """The body of POST /concat."""

    a: str
    b: str


def make_app(trim_urls: Sequence[str]) -> FastAPI:
    """The peer app; `trim_urls` are trim instances' HTTP base URLs, used in turn."""
    if not trim_urls:
        raise ValueError("the peer needs at least one trim URL")
    next_url = itertools.cycle(trim_urls).__next__

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            app.state.client = client
            yield

    app = FastAPI(lifespan=lifespan)

    async def trim(s: str) -> str:
        response = await app.state.client.post(f"{next_url()}/trim", json={"s": s})
        response.raise_for_status()
        return str(response.json()["s"])

    @app.post("/sum")
    async def sum_(body: SumIn) -> dict[str, int]:
        return {"v": body.a + body.b}

    @app.post("/concat")
    async def concat(body: ConcatIn) -> dict[str, str]:
        return {"v": await trim(body.a) + await trim(body.b)}

    return app


__all__ = ["ConcatIn", "SumIn", "make_app"]
