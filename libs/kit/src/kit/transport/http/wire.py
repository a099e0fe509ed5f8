"""Limits on the HTTP/1.1 wire, enforced below the ASGI app where a hostile client costs the least.

uvicorn bounds neither the size nor the number of request headers, nor the time a client may take to send them or
the body, nor the connections it holds open. `limited_protocol` is uvicorn's own httptools protocol (uvicorn takes a
protocol class through `Config(http=...)`) with those limits added: a refused request is answered with a JSON
`{"error": ...}` and `Connection: close`, and the connection closes; other connections are not affected.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kit.transport.http.fast import SHED, SHED_HOLD


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one HTTP client may send and hold. Sizes in bytes, times in seconds."""

    max_header_bytes: int = 16384
    """Request line and headers together (431 past it)."""
    max_headers: int = 100
    """Header fields in one request (431 past it)."""
    max_request_line: int = 8192
    """Bytes of the request target, the path and query (414 past it)."""
    header_timeout: float = 5.0
    """From a request's first byte until its headers are complete (408, then closed)."""
    body_timeout: float = 10.0
    """From the end of the headers until the body is complete (408, then closed)."""
    keepalive_timeout: float = 5.0
    """An open connection with no request in it, before the first or between two, is closed after this."""
    max_connections: int = 1000
    """Open connections; one past it is answered 503 and closed at once."""
    shed_hold: float = 1.0
    """A request shed for overload less than this after its connection's previous shed answer (with none admitted
    between) gets its own answer only when this time is up (0: never held): a client that ignores `Retry-After` and
    sends again at once gets one shed answer this often per connection. A request admitted is never held."""

    @property
    def keepalive_seconds(self) -> int:
        """The keep-alive timeout in whole seconds, as uvicorn takes it."""
        return max(1, math.ceil(self.keepalive_timeout))


OnRefused = Callable[[int, str], None]
"""Told of each request or connection refused on the wire: its status and the reason."""


def limited_protocol(limits: HttpLimits, *, on_refused: OnRefused | None = None) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with `limits` enforced; pass it as `uvicorn.Config(http=...)`."""

    class LimitedHttpProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._timer: asyncio.TimerHandle | None = None
            self._in_head = False
            self._head_bytes = 0
            self._header_count = 0
            self._refusal: tuple[int, str] | None = None
            self._refused = False
            self._hold_until = -math.inf

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                self._refuse(503, "too many connections")
                return
            # Until a first byte comes the connection is idle, as between two requests.
            self._arm(limits.keepalive_timeout, self.timeout_keep_alive_handler)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self._in_head and not self._refused:
                # httptools buffers an unfinished header itself: count the raw bytes so it cannot grow without end.
                self._head_bytes += len(data)
                if self._head_bytes > limits.max_header_bytes:
                    self._refuse(431, f"request headers exceed {limits.max_header_bytes} bytes")

        def send_400_response(self, msg: str) -> None:
            # A limit found in a parser callback stops the parser, which uvicorn answers as a malformed request.
            status, message = self._refusal or (400, "malformed HTTP request")
            self._refuse(status, message)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._hold_until > self.loop.time():
                self.scope[SHED_HOLD] = self._hold_until  # type: ignore[literal-required]  # an extension key
            self._in_head = True
            self._head_bytes = 0
            self._header_count = 0
            self._arm(limits.header_timeout, self._head_too_slow)

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) > limits.max_request_line:
                self._stop(414, f"request line exceeds {limits.max_request_line} bytes")

        def on_header(self, name: bytes, value: bytes) -> None:
            super().on_header(name, value)
            self._header_count += 1
            if self._header_count > limits.max_headers:
                self._stop(431, f"more than {limits.max_headers} request headers")
            self._head_bytes += len(name) + len(value) + 4
            if self._head_bytes > limits.max_header_bytes:
                self._stop(431, f"request headers exceed {limits.max_header_bytes} bytes")

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_bytes = 0
            super().on_headers_complete()
            self._arm(limits.body_timeout, self._body_too_slow)

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.cycle is None:
                return
            if not self.cycle.scope.get(SHED, False):
                self._hold_until = -math.inf  # an answered request ends a run of sheds
                return
            # A client that sends again at once, despite Retry-After, gets its next shed answer only when the hold is
            # up (the gate sleeps), so it costs this server one cheap answer per hold, not one per round trip.
            # Reading is not paused: a request the shedder admits is served at once. The hold is drawn between half
            # and all of `shed_hold`, so that connections shed together do not come back together.
            self._hold_until = self.loop.time() + limits.shed_hold * random.uniform(0.5, 1.0)

        def _stop(self, status: int, message: str) -> None:
            self._refusal = (status, message)
            raise _LimitReached(message)

        def _head_too_slow(self) -> None:
            self._refuse(408, f"request headers not received within {limits.header_timeout:g} s")

        def _body_too_slow(self) -> None:
            cycle = self.cycle
            if cycle is not None and cycle.response_started:
                self.transport.close()  # the app has answered already; only the connection is left
                return
            self._refuse(408, f"request body not received within {limits.body_timeout:g} s")
            if cycle is not None:
                # The app waiting for the body hears a disconnect, and its own answer goes nowhere.
                cycle.disconnected = True
                cycle.message_event.set()

        def _refuse(self, status: int, message: str) -> None:
            self._refused = True
            self._disarm()
            if not self.transport.is_closing():
                self.transport.write(_response(status, message))
                self.transport.close()
            if on_refused is not None:
                on_refused(status, message)

        def _arm(self, delay: float, callback: Callable[[], None]) -> None:
            self._disarm()
            self._timer = self.loop.call_later(delay, callback)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    return LimitedHttpProtocol


class _LimitReached(Exception):
    """Raised in a parser callback to stop parsing a request that broke a limit."""


def _response(status: int, message: str) -> bytes:
    body = orjson.dumps({"error": message})
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


__all__ = ["HttpLimits", "OnRefused", "limited_protocol"]
