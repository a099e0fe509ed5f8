"""Request-scoped data that travels with every call: the request id and the deadline.

Both live in `contextvars`, so they follow a request across `await`s and into tasks it starts without being passed
by hand. Server transports set them from the incoming header or metadata; client transports read them and send
them on, so one request id and one shrinking time budget cover a whole call tree. How an id is made, and an
incoming one checked, is `kit.endpoint.request_ids`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from kit.endpoint.request_ids import sanitize_request_id

_request_id: ContextVar[str | None] = ContextVar("kit_request_id", default=None)
_deadline: ContextVar[float | None] = ContextVar("kit_deadline", default=None)
_transport: ContextVar[str] = ContextVar("kit_transport", default="local")
_client: ContextVar[str | None] = ContextVar("kit_client", default=None)
_authorization: ContextVar[str | None] = ContextVar("kit_authorization", default=None)


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
    """Who sent the current request, as the key per-client limits use: the authenticated identity once
    authentication has run (`authenticated`), else the peer address; never a claim the caller made unverified."""
    return _client.get()


def authorization() -> str | None:
    """The credentials the current request came with (its `Authorization` header or metadata), not yet verified."""
    return _authorization.get()


@contextmanager
def authenticated(identity: str) -> Iterator[None]:
    """Runs a block as the verified `identity`, which becomes the request's `client()`."""
    token = _client.set(identity)
    try:
        yield
    finally:
        _client.reset(token)


def remaining(now: float | None = None) -> float | None:
    """Seconds left before the current request's deadline (never negative), or None without a deadline."""
    current = _deadline.get()
    if current is None:
        return None
    return max(0.0, current - (time.monotonic() if now is None else now))


def request_scope(
    *,
    request_id: str | None = None,
    timeout: float | None = None,
    transport: str | None = None,
    client: str | None = None,
    authorization: str | None = None,
) -> RequestScope:
    """Runs a block as one request: sets its id (made when missing), narrows its deadline to `timeout`, and
    records the transport, the client it came from and the credentials it carries (unverified) when given. `with`
    gives the request id.

    A deadline only ever shrinks: a nested scope with a longer timeout keeps the outer one.
    """
    return RequestScope(request_id, timeout, transport, client, authorization)


class RequestScope:
    """The context manager `request_scope` makes. A class rather than a `@contextmanager` generator: every request
    enters one, and a generator-based manager costs a generator and two resumptions more each time."""

    __slots__ = (
        "_authorization",
        "_authorization_token",
        "_client",
        "_request_id",
        "_timeout",
        "_tokens",
        "_transport",
    )

    def __init__(
        self,
        request_id: str | None,
        timeout: float | None,
        transport: str | None,
        client: str | None,
        authorization: str | None = None,
    ):
        self._authorization = authorization
        self._authorization_token: Token[str | None] | None = None
        self._request_id = request_id
        self._timeout = timeout
        self._transport = transport
        self._client = client
        self._tokens: tuple[Token[str | None], Token[str] | None, Token[str | None] | None, Token[float | None]]

    def __enter__(self) -> str:
        rid = sanitize_request_id(self._request_id)
        id_token = _request_id.set(rid)
        transport_token = _transport.set(self._transport) if self._transport is not None else None
        client_token = _client.set(self._client) if self._client is not None else None
        if self._authorization is not None:
            self._authorization_token = _authorization.set(self._authorization)
        current = _deadline.get()
        if self._timeout is not None:
            candidate = time.monotonic() + max(0.0, self._timeout)
            current = candidate if current is None else min(current, candidate)
        self._tokens = (id_token, transport_token, client_token, _deadline.set(current))
        return rid

    def __exit__(self, *exc_info: object) -> None:
        id_token, transport_token, client_token, deadline_token = self._tokens
        _deadline.reset(deadline_token)
        if self._authorization_token is not None:
            _authorization.reset(self._authorization_token)
        if client_token is not None:
            _client.reset(client_token)
        if transport_token is not None:
            _transport.reset(transport_token)
        _request_id.reset(id_token)
