"""Hedged requests: when the first attempt of an idempotent call has not answered after a short delay, a second
goes to another instance, and the first answer wins ("The Tail at Scale", Dean and Barroso, 2013).

The delay is fixed, or the observed 95th percentile of the target's answer times, kept within
[`min_delay`, `max_delay`]: about one call in twenty is hedged while the target is healthy, and a call stuck on a
hung or slow instance waits only that long. Hedges are extra load, so `kit.sd.lb.retry` takes each one out of the
same retry budget as retries, and sends none while `when` says no (add: while it is itself overloaded). Only for
idempotent calls: both attempts may reach the service.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class Hedge:
    """When to send the next attempt of a call that has not answered yet; learns from `observe`d answer times."""

    def __init__(
        self,
        *,
        delay: float | None = None,
        min_delay: float = 0.003,
        max_delay: float = 0.1,
        quantile: float = 0.95,
        samples: int = 256,
        when: Callable[[], bool] | None = None,
    ) -> None:
        if delay is not None and delay <= 0:
            raise ValueError(f"delay must be positive, got {delay!r}")
        if not 0 < min_delay <= max_delay:
            raise ValueError(f"need 0 < min_delay <= max_delay, got {min_delay!r} and {max_delay!r}")
        if not 0 < quantile < 1 or samples < 16:
            raise ValueError(f"need 0 < quantile < 1 and samples >= 16, got {quantile!r} and {samples!r}")
        self._fixed = delay
        self._min = min_delay
        self._max = max_delay
        self._rank = math.ceil(quantile * samples) - 1
        self._ring = [0.0] * samples
        self._seen = 0
        self._delay = delay if delay is not None else max_delay  # until enough answers were seen
        self._when = when

    def allowed(self) -> bool:
        """Whether a hedge may be sent now (`when`, if given, says so). A service that is itself overloaded should
        not hedge: its calls are slow because its own loop is behind, and a second call only adds to the load."""
        return self._when is None or self._when()

    def delay(self) -> float:
        """Seconds to wait for an answer before hedging."""
        return self._delay

    def observe(self, seconds: float) -> None:
        """Records the answer time of an attempt that succeeded."""
        if self._fixed is not None:
            return
        size = len(self._ring)
        self._ring[self._seen % size] = seconds
        self._seen += 1
        # Sorting 256 floats takes a few microseconds; doing it every 32 answers keeps the cost per call negligible.
        if self._seen >= size and self._seen % 32 == 0:
            p = sorted(self._ring)[self._rank]
            self._delay = min(self._max, max(self._min, p))


__all__ = ["Hedge"]
