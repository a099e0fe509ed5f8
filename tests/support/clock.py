"""A clock the tests move by hand: stands in for time.monotonic or time.perf_counter."""

from __future__ import annotations


class FakeClock:
    """Returns `now` when called; `advance` moves it forward."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
