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


class RetryLater:
    """Mixed into a kit error that says when to try again (rate limited, overloaded): its `retry_after` seconds go
    out as the `Retry-After` header, and as the `retry-after` trailer over gRPC."""

    retry_after: float

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(retry_after_seconds(self.retry_after))}


__all__ = ["RetryLater", "parse_retry_after", "retry_after_seconds"]
