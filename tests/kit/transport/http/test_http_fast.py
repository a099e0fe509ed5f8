"""kit.transport.http.fast: a KitApp answers its endpoint routes straight from ASGI, exactly as FastAPI's way
would, and leaves everything else to FastAPI."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import orjson
import pytest
from fastapi import FastAPI

from kit.errors import Overloaded, Unavailable
from kit.transport.http.fast import SHED, SHED_HOLD, KitApp, shed_gate
from support.sum_route import Pair, make_app

Message = dict[str, Any]


async def add(request: Pair) -> int:
    return request.a + request.b


async def refuse(request: Pair) -> int:
    raise Unavailable("no instance of trim")


async def call(
    app: Any, method: str, path: str, chunks: list[Message], headers: list[tuple[bytes, bytes]]
) -> list[Message]:
    """One request through `app` as a server calls it; the messages the app sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    incoming = list(chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def body(content: bytes, *, more: bool = False) -> Message:
    return {"type": "http.request", "body": content, "more_body": more}


CASES = [
    pytest.param(add, [body(b'{"a": 1, "b": 2}')], [(b"x-request-id", b"rid-1")], id="ok"),
    pytest.param(add, [body(b'{"a": 1,'), body(b' "b": 2}')], [], id="streamed"),
    pytest.param(add, [body(b'{"a": "x", "b": 2}')], [], id="invalid"),
    pytest.param(add, [body(b"{}", more=True)], [], id="disconnected"),
    pytest.param(add, [body(b"{}")], [(b"content-length", b"999999999")], id="too-large"),
    pytest.param(
        refuse, [body(b'{"a": 1, "b": 2}')], [(b"x-request-id", b"rid-2"), (b"x-request-id", b"rid-3")], id="503"
    ),
]


@pytest.mark.parametrize(("endpoint", "chunks", "headers"), CASES)
async def test_kit_route_answers_as_fastapis_way_does(
    endpoint: Any, chunks: list[Message], headers: list[tuple[bytes, bytes]]
) -> None:
    # With an id of its own, each way echoes it (without one, each would make up a different one).
    headers = [(b"x-request-id", b"rid-0"), *headers] if b"x-request-id" not in dict(headers) else headers
    app = make_app(endpoint)
    assert isinstance(app, KitApp)
    assert ("POST", "/sum") in app.kit_routes

    direct = await call(app, "POST", "/sum", chunks, headers)
    through_fastapi = await call(super(KitApp, app).__call__, "POST", "/sum", chunks, headers)

    assert [m["type"] for m in direct] == ["http.response.start", "http.response.body"]
    assert direct[0]["status"] == through_fastapi[0]["status"]
    assert direct[1]["body"] == through_fastapi[1]["body"]
    assert sorted(direct[0]["headers"]) == sorted(through_fastapi[0]["headers"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/sum", 405), ("POST", "/nothing", 404), ("GET", "/openapi.json", 200)],
)
async def test_anything_but_a_kit_route_takes_fastapis_way(method: str, path: str, status: int) -> None:
    app = make_app(add)

    sent = await call(app, method, path, [body(b"")], [])

    assert sent[0]["status"] == status


async def test_a_plain_fastapi_app_still_gets_the_route() -> None:
    plain = FastAPI()
    from kit.transport.http import add_route, model_decoder
    from support.sum_route import PairBody, SumReply

    add_route(
        plain,
        "/sum",
        add,
        decode=model_decoder(PairBody, lambda b: Pair(a=b.a, b=b.b)),
        encode=lambda v: {"v": v},
        request_model=PairBody,
        response_model=SumReply,
    )

    sent = await call(plain, "POST", "/sum", [body(b'{"a": 2, "b": 3}')], [])

    assert (sent[0]["status"], sent[1]["body"]) == (200, b'{"v":5}')


async def test_a_shed_request_is_answered_at_the_gate_without_being_read() -> None:
    refusals: list[Overloaded | None] = [Overloaded(retry_after=2.0), None]
    app = make_app(add)
    assert isinstance(app, KitApp)
    handler = shed_gate(app.kit_routes[("POST", "/sum")], lambda: refusals.pop(0))
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/sum", "headers": []}
    received: list[str] = []
    sent: list[Message] = []

    async def receive() -> Message:
        received.append("body")
        return body(b'{"a": 1, "b": 2}')

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await handler(scope, receive, send)

    assert not received  # not a byte of the body was read
    assert scope[SHED] is True
    head = dict(sent[0]["headers"])
    assert (sent[0]["status"], head[b"retry-after"], head[b"kit-error"]) == (503, b"2", b"overloaded")
    assert orjson.loads(sent[1]["body"]) == {"error": "service unavailable: overloaded, try again shortly"}

    admitted = await call(handler, "POST", "/sum", [body(b'{"a": 1, "b": 2}')], [])
    assert (admitted[0]["status"], admitted[1]["body"]) == (200, b'{"v":3}')


async def test_a_shed_answer_waits_for_the_hold_the_server_set_and_an_admitted_request_never_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    refusals: list[Overloaded | None] = [Overloaded(retry_after=1.0), None]
    app = make_app(add)
    assert isinstance(app, KitApp)
    handler = shed_gate(app.kit_routes[("POST", "/sum")], lambda: refusals.pop(0))
    hold_until = asyncio.get_running_loop().time() + 30.0

    async def with_hold(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        scope[SHED_HOLD] = hold_until
        await handler(scope, receive, send)

    shed = await call(with_hold, "POST", "/sum", [body(b'{"a": 1, "b": 2}')], [])
    admitted = await call(with_hold, "POST", "/sum", [body(b'{"a": 1, "b": 2}')], [])

    assert shed[0]["status"] == 503 and admitted[0]["status"] == 200
    assert len(slept) == 1 and 29.0 < slept[0] <= 30.0  # the shed answer waited for the hold, the admitted one not
