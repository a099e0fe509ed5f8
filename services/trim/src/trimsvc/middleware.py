"""trim's service middlewares: each wraps a Service and is one."""

from __future__ import annotations

import asyncio

from trimsvc.service import Service, ServiceMiddleware


def delayed(seconds: float) -> ServiceMiddleware:
    """Fault injection: every call waits `seconds` first (TRIM_DELAY), so deadline handling can be seen working.
    The wait is cancellable: a caller that gives up stops it."""

    def wrap(next_: Service) -> Service:
        return _Delayed(next_, seconds)

    return wrap


class _Delayed:
    def __init__(self, next_: Service, seconds: float) -> None:
        self._next = next_
        self._seconds = seconds

    async def trim_space(self, s: str) -> str:
        await asyncio.sleep(self._seconds)
        return await self._next.trim_space(s)


__all__ = ["delayed"]
