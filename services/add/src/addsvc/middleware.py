"""add's service middlewares: each wraps a Service and is one. No metrics or logging library types leak in here:
they take a logger and plain callbacks, which main.py connects to the metrics registry."""

from __future__ import annotations

import logging
from collections.abc import Callable

from addsvc.service import Service, ServiceMiddleware


def logging_middleware(logger: logging.Logger) -> ServiceMiddleware:
    """Logs each business call with its arguments' shape and its result or error, at debug level."""

    def wrap(next_: Service) -> Service:
        return _Logging(next_, logger)

    return wrap


class _Logging:
    def __init__(self, next_: Service, logger: logging.Logger) -> None:
        self._next = next_
        self._logger = logger

    async def sum(self, a: int, b: int) -> int:
        try:
            v = await self._next.sum(a, b)
        except Exception as exc:
            self._logger.debug("sum", extra={"a": a, "b": b, "err": str(exc)})
            raise
        self._logger.debug("sum", extra={"a": a, "b": b, "v": v})
        return v

    async def concat(self, a: str, b: str) -> str:
        try:
            v = await self._next.concat(a, b)
        except Exception as exc:
            self._logger.debug("concat", extra={"len_a": len(a), "len_b": len(b), "err": str(exc)})
            raise
        self._logger.debug("concat", extra={"len_a": len(a), "len_b": len(b), "len_v": len(v)})
        return v


def business_metrics(
    *, integers_summed: Callable[[int], None], characters_concatenated: Callable[[int], None]
) -> ServiceMiddleware:
    """Counts what add does for its users: integers summed (two per Sum) and characters in Concat results."""

    def wrap(next_: Service) -> Service:
        return _BusinessMetrics(next_, integers_summed, characters_concatenated)

    return wrap


class _BusinessMetrics:
    def __init__(self, next_: Service, ints: Callable[[int], None], chars: Callable[[int], None]) -> None:
        self._next = next_
        self._ints = ints
        self._chars = chars

    async def sum(self, a: int, b: int) -> int:
        v = await self._next.sum(a, b)
        self._ints(2)
        return v

    async def concat(self, a: str, b: str) -> str:
        v = await self._next.concat(a, b)
        self._chars(len(v))
        return v


__all__ = ["business_metrics", "logging_middleware"]
