"""`Retry-After` in whole seconds, as HTTP headers and gRPC trailers carry it, both ways."""

from __future__ import annotations

import math


def retry_after_seconds(delay: float) -> int:
    """A delay as the whole number of seconds a `Retry-After` header carries: rounded up, at least 1."""
    if not math.isfinite(delay):
        return 1
    return max(1, math.ceil(delay))


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """Seconds from a `Retry-After` header or trailer given in seconds; `default` when absent, a date or nonsense."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        return default
    return seconds if math.isfinite(seconds) and seconds >= 0 else default


__all__ = ["parse_retry_after", "retry_after_seconds"]
