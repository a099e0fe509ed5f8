"""A retry budget: retries and hedges together stay a fixed share of calls, so they cannot multiply the load on a
target that is already struggling.

Over a sliding window (10 s by default, in 20 slices) the budget allows `ratio` extra attempts per call, plus
`per_second` extra attempts a second as a floor, so that a quiet caller can still retry. Past that, no retry:
the call fails with what its last attempt met. This is Finagle's RetryBudget and gRPC's retry throttling in
spirit (go-zero dropped its retries without one, zeromicro/go-zero#1279); share one budget among every caller
of a target.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kit.clock import Clock


class Budget:
    """Counts calls and extra attempts over the last `window` seconds; `spend` says whether one more may go."""

    def __init__(
        self,
        *,
        ratio: float = 0.2,
        per_second: float = 5.0,
        window: float = 10.0,
        slices: int = 20,
        on_exhausted: Callable[[], None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if ratio < 0 or per_second < 0:
            raise ValueError(f"ratio and per_second must not be negative, got {ratio!r} and {per_second!r}")
        if window <= 0 or slices < 1:
            raise ValueError(f"window must be positive and slices at least 1, got {window!r} and {slices!r}")
        self.ratio = ratio
        self.per_second = per_second
        self.window = window
        self._width = window / slices
        self._slices = slices
        self._on_exhausted = on_exhausted
        self._clock = clock
        self._calls = [0] * slices
        self._spent = [0] * slices
        self._epochs = [0] * slices  # which slice of time each position holds now

    def call(self) -> None:
        """Records a first attempt."""
        self._calls[self._slot()] += 1

    def available(self) -> bool:
        """Whether one more retry or hedge would be allowed now (without spending it)."""
        self._slot()
        return sum(self._spent) + 1 <= self.ratio * sum(self._calls) + self.per_second * self.window

    def spend(self) -> bool:
        """Takes one retry or hedge from the budget when there is one left; False (and `on_exhausted()`) if not."""
        if not self.available():
            if self._on_exhausted is not None:
                self._on_exhausted()
            return False
        self._spent[self._slot()] += 1
        return True

    def _slot(self) -> int:
        epoch = int(self._clock() / self._width)
        slot = epoch % self._slices
        if self._epochs[slot] != epoch:
            # Time moved into a new slice: forget every slice that is now older than the window.
            for position, held in enumerate(self._epochs):
                if held <= epoch - self._slices:
                    self._calls[position] = self._spent[position] = 0
            self._epochs[slot] = epoch
        return slot


__all__ = ["Budget"]
