"""Request-scoped data that travels with every call: the request id and the deadline.

Both live in `contextvars`, so they follow a request across `await`s and into tasks it starts without being passed
by hand. Server transports set them from the incoming header or metadata; client transports read them and send
them on, so one request id and one shrinking time budget cover a whole call tree.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REQUEST_ID_HEADER = "x-request-id"
"""The HTTP header and gRPC metadata key that carries the request id (lower case, as gRPC requires)."""

API_KEY_HEADER = "x-api-key"
"""The HTTP header and gRPC metadata key naming the caller for per-client limits; without it the peer does."""

MAX_REQUEST_ID_LENGTH = 128

_request_id: ContextVar[str | None] = ContextVar("kit_request_id", default=None)
_deadline: ContextVar[float | None] = ContextVar("kit_deadline", default=None)
_transport: ContextVar[str] = ContextVar("kit_transport", default="local")
_client: ContextVar[str | None] = ContextVar("kit_client", default=None)


def new_request_id() -> str:
    """Makes a fresh, unique request id: 32 hex digits, the shape of a uuid4's hex."""
    # An id must be unique, not secret: 128 bits of the Mersenne Twister are as unlikely to collide as a uuid4,
    # without the urandom syscall uuid4 makes on every call. `random` reseeds itself in a forked child.
    return f"{random.getrandbits(128):032x}"


def sanitize_request_id(value: str | None) -> str:
    """Returns the incoming id when it is a sane token, else a fresh one (never trust a header to be short)."""
    if value and len(value) <= MAX_REQUEST_ID_LENGTH and value.isascii() and value.isprintable():
        return value
    return new_request_id()


def request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def deadline() -> float | None:
    """The absolute `time.monotonic()` instant by which the current request must be answered, if any."""
    return _deadline.get()


def transport() -> str:
    """The transport that carried the current request in (`http`, `grpc`), or `local` for in-process calls."""
    return _transport.get()


def client() -> str | None:
    """Who sent the current request, as a key a user controls: an API key when given, else the peer address."""
    return _client.get()


def remaining(now: float | None = None) -> float | None:
    """Seconds left before the current request's deadline (never negative), or None without a deadline."""
    current = _deadline.get()
    if current is None:
        return None
    return max(0.0, current - (time.monotonic() if now is None else now))


@contextmanager
def request_scope(
    *,
    request_id: str | None = None,
    timeout: float | None = None,
    transport: str | None = None,
    client: str | None = None,
) -> Iterator[str]:
    """Runs a block as one request: sets its id (made when missing), narrows its deadline to `timeout`, and
    records the transport and the client it came from when given. Yields the request id.

    A deadline only ever shrinks: a nested scope with a longer timeout keeps the outer one.
    """
    rid = sanitize_request_id(request_id)
    id_token = _request_id.set(rid)
    transport_token = _transport.set(transport) if transport is not None else None
    client_token = _client.set(client) if client is not None else None
    current = _deadline.get()
    if timeout is not None:
        candidate = time.monotonic() + max(0.0, timeout)
        current = candidate if current is None else min(current, candidate)
    deadline_token = _deadline.set(current)
    try:
        yield rid
    finally:
        _deadline.reset(deadline_token)
        if client_token is not None:
            _client.reset(client_token)
        if transport_token is not None:
            _transport.reset(transport_token)
        _request_id.reset(id_token)
