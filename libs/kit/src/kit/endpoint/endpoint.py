"""The kit's currency: an Endpoint is one remote-procedure-call-shaped async function, a Middleware wraps one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

Req = TypeVar("Req")
Resp = TypeVar("Resp")

Endpoint: TypeAlias = Callable[[Req], Awaitable[Resp]]
"""One method of a service, transport-neutral: takes a request value and returns a response value."""

Middleware: TypeAlias = Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]
"""Wraps an endpoint in some behaviour (logging, metrics, limits) and returns an endpoint of the same type."""

AnyEndpoint: TypeAlias = Endpoint[Any, Any]
"""An endpoint whose request and response types do not matter to the code that holds it."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""The integer range every kit transport carries (protobuf `int64`): services check results against it."""

Rejected: TypeAlias = Callable[[Exception], Awaitable[None]]
"""Told of a request a transport refused before its endpoint ran (malformed, too large), to count and log it."""


def chain(outer: Middleware[Req, Resp], *others: Middleware[Req, Resp]) -> Middleware[Req, Resp]:
    """Composes middlewares so that the first one given is the outermost: it sees the request first."""

    def wrap(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        for middleware in reversed(others):
            next_ = middleware(next_)
        return outer(next_)

    return wrap


async def nop(request: object) -> None:
    """An endpoint that does nothing, for tests and for methods with nothing to do."""
    return
