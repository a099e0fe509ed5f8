"""add's business: Sum and Concat, their rules and errors. No transport, metrics or discovery code lives here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from kit.endpoint import INT64_MAX, INT64_MIN
from kit.errors import BusinessError, calling

DEFAULT_MAX_CONCAT_LENGTH = 1024


class Service(Protocol):
    """What add offers, whatever carries the call."""

    async def sum(self, a: int, b: int) -> int:
        """Returns a + b, or raises IntegerOverflow when it leaves int64."""
        ...

    async def concat(self, a: str, b: str) -> str:
        """Returns a followed by b, or raises ResultTooLong past the configured maximum."""
        ...


class Trimmer(Protocol):
    """The one thing add needs of trim; add/main.py wires trimsvc.client in."""

    async def trim_space(self, s: str) -> str: ...


ServiceMiddleware = Callable[[Service], Service]
"""Wraps a Service in behaviour (logging, business metrics, trimming) and is a Service itself."""


class IntegerOverflow(BusinessError):
    """The sum does not fit in a signed 64-bit integer."""

    def __init__(self) -> None:
        super().__init__("integer overflow")


class ResultTooLong(BusinessError):
    """The concatenation would be longer than the service accepts."""

    def __init__(self, length: int, maximum: int) -> None:
        super().__init__(f"result too long: {length} characters, the maximum is {maximum}")


class BasicService:
    """The plain implementation of add."""

    def __init__(self, *, max_concat_length: int = DEFAULT_MAX_CONCAT_LENGTH) -> None:
        self._max_concat_length = max_concat_length

    async def sum(self, a: int, b: int) -> int:
        v = a + b
        if not INT64_MIN <= v <= INT64_MAX:
            raise IntegerOverflow
        return v

    async def concat(self, a: str, b: str) -> str:
        length = len(a) + len(b)
        if length > self._max_concat_length:
            raise ResultTooLong(length, self._max_concat_length)
        return a + b


def trim_first(trimmer: Trimmer) -> ServiceMiddleware:
    """Makes Concat remove the spaces of both arguments (through trim, both at once) before concatenating."""

    def wrap(next_: Service) -> Service:
        return _TrimFirst(next_, trimmer)

    return wrap


class _TrimFirst:
    def __init__(self, next_: Service, trimmer: Trimmer) -> None:
        self._next = next_
        self._trimmer = trimmer

    async def sum(self, a: int, b: int) -> int:
        return await self._next.sum(a, b)

    async def concat(self, a: str, b: str) -> str:
        with calling("trim"):
            trimmed_a, trimmed_b = await _both(self._trimmer.trim_space(a), self._trimmer.trim_space(b))
        return await self._next.concat(trimmed_a, trimmed_b)


async def _both(first: Coroutine[Any, Any, str], second: Coroutine[Any, Any, str]) -> tuple[str, str]:
    # Both run at once; when one fails the other is cancelled, so no call outlives the request, and the caller sees
    # the first error itself (a TaskGroup would wrap it in an ExceptionGroup).
    tasks = (asyncio.ensure_future(first), asyncio.ensure_future(second))
    try:
        a, b = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
    return a, b


__all__ = [
    "DEFAULT_MAX_CONCAT_LENGTH",
    "BasicService",
    "IntegerOverflow",
    "ResultTooLong",
    "Service",
    "ServiceMiddleware",
    "Trimmer",
    "trim_first",
]
