"""Endpoints for tests of middlewares: one that answers with its request, one that raises a given error."""

from __future__ import annotations

from typing import Any, TypeVar

from kit.endpoint import Endpoint

T = TypeVar("T")


async def echo(request: T) -> T:
    """Answers with the request itself."""
    return request


def raising(exc: Exception) -> Endpoint[Any, Any]:
    """An endpoint that raises `exc` on every call."""

    async def endpoint(request: Any) -> Any:
        raise exc

    return endpoint
