"""Time as a parameter: what the kit's timed parts take, so tests hand them a fake clock instead of waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

Clock: TypeAlias = Callable[[], float]
"""Seconds on a monotonic clock (`time.monotonic`, or a test's fake)."""

Sleep: TypeAlias = Callable[[float], Awaitable[None]]
"""Waits so many seconds (`asyncio.sleep`, or a test's fake that advances a fake clock)."""

__all__ = ["Clock", "Sleep"]
