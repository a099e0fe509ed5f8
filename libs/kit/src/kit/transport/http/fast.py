"""The kit's endpoint routes answered straight from ASGI, past FastAPI's middleware stack and router.

A request through FastAPI passes Starlette's error and exception middlewares, an AsyncExitStack, a linear route
match and a Request and a Response object before and after the kit's own handler, which already reads the body,
answers every error and sets every header itself: measured in one process, that machinery is about four fifths of
the CPU a `POST /sum` costs the app. `KitApp` is FastAPI with a table of the kit's routes by exact method and
path: a request that matches one goes straight to it; everything else (documentation, `/health`, `/metrics`, a
404, a 405, a path with a trailing slash) takes FastAPI's way as before. Both ways run the same handler code
(`kit.transport.http.server`), so they answer alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import orjson
from fastapi import FastAPI

from kit.errors import InvalidArgument, Overloaded, mark_logged
from kit.transport.http.body import collect_body
from kit.transport.http.error_encoder import default_error_encoder

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiHandler = Callable[[Scope, Receive, Send], Awaitable[None]]

ReadBody = Callable[[int], Awaitable[bytes]]
Answer = tuple[int, bytes, Mapping[str, str]]
Respond = Callable[[Mapping[str, str], str | None, ReadBody], Awaitable[Answer]]
"""A route's handler, whichever way the request came: the request's headers (lower-case names), the peer's host
and a function reading the body up to a limit; gives the status, the JSON body and the headers to answer with."""

Shed = Callable[[], Overloaded | None]
"""Asked for each request of a kit route before anything is read of it: `None` admits the request; an `Overloaded`
sheds it at once, answered as that error is (503 with `Retry-After`), for the least work a request can cost."""

SHED = "kit.shed"
"""The ASGI scope key set on a request shed at the gate, for the server to read (`kit.transport.http.wire`)."""

SHED_HOLD = "kit.shed.hold_until"
"""The ASGI scope key the server sets on a request that came on a connection shed a moment ago: the event loop time
until which the gate holds a shed answer to it (`kit.transport.http.wire`, `HttpLimits.shed_hold`)."""

_JSON = (b"content-type", b"application/json")


class KitApp(FastAPI):
    """FastAPI with the kit's endpoint routes answered directly (see the module's documentation)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kit_routes: dict[tuple[str, str], AsgiHandler] = {}

    def add_kit_route(self, method: str, path: str, respond: Respond, *, shed: Shed | None = None) -> None:
        """Answers `method path` with `respond` straight from ASGI; with `shed`, behind that gate."""
        handler = asgi_handler(respond)
        self.kit_routes[(method, path)] = handler if shed is None else shed_gate(handler, shed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            handler = self.kit_routes.get((scope["method"], scope["path"]))
            if handler is not None:
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def asgi_handler(respond: Respond) -> AsgiHandler:
    """`respond` as an ASGI application for one route."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        # The first of repeated headers wins, as Starlette's `Headers.get` has it.
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])}
        client = scope.get("client")

        def read(limit: int) -> Awaitable[bytes]:
            return collect_body(headers.get("content-length"), _chunks(receive), limit)

        try:
            status, content, extra = await respond(headers, client[0] if client else None, read)
        except Exception as exc:
            # As the app's handler of unhandled errors does on FastAPI's way: answer, then let the server log the
            # traceback (marked logged, so the encoder does not log it a second time).
            mark_logged(exc)
            status, error_body, extra = default_error_encoder(exc)
            await _answer(send, status, orjson.dumps(error_body), extra)
            raise
        await _answer(send, status, content, extra)

    return handle


def shed_gate(handler: AsgiHandler, shed: Shed) -> AsgiHandler:
    """`handler` behind `shed`: a shed request is answered before its headers are looked at or its body read, and
    marked in its scope (`SHED`) for the server. A request the server marked with a hold time (`SHED_HOLD`: its
    connection was shed a moment ago, and sent again without waiting as `Retry-After` asked) gets its shed answer
    only then; an admitted request is never held."""
    encoded: dict[float, tuple[int, bytes, Mapping[str, str]]] = {}

    async def gate(scope: Scope, receive: Receive, send: Send) -> None:
        refusal = shed()
        if refusal is None:
            await handler(scope, receive, send)
            return
        scope[SHED] = True
        hold_until = scope.get(SHED_HOLD)
        if hold_until is not None:
            delay = hold_until - asyncio.get_running_loop().time()
            if delay > 0:
                await asyncio.sleep(delay)
        answer = encoded.get(refusal.retry_after)
        if answer is None:
            status, body, headers = default_error_encoder(refusal)
            answer = encoded[refusal.retry_after] = (status, orjson.dumps(body), headers)
        await _answer(send, *answer)

    return gate


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return
        elif kind == "http.disconnect":
            raise InvalidArgument("client disconnected before sending the whole body")


async def _answer(send: Send, status: int, content: bytes, headers: Mapping[str, str]) -> None:
    """The same header list a Starlette `Response(content, status, headers, "application/json")` sends."""
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    raw += [(b"content-length", str(len(content)).encode()), _JSON]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


__all__ = [
    "SHED",
    "SHED_HOLD",
    "Answer",
    "AsgiHandler",
    "KitApp",
    "ReadBody",
    "Respond",
    "Shed",
    "asgi_handler",
    "shed_gate",
]
