"""A rolling window of time buckets that remembers how many requests each bucket completed and how long they took:
the two measures a Little's-law capacity estimate needs (go-zero's shedder keeps the same)."""

from __future__ import annotations

from collections.abc import Callable


class RollingWindow:
    """`buckets` buckets of `width` seconds each; the bucket being filled is left out of every estimate, since it
    has not had its full width yet."""

    def __init__(self, *, buckets: int = 50, width: float = 0.1, clock: Callable[[], float]) -> None:
        if buckets < 2 or width <= 0:
            raise ValueError("a rolling window needs at least two buckets of positive width")
        self._width = width
        self._clock = clock
        self._passes = [0] * buckets
        self._seconds = [0.0] * buckets
        self._current = int(clock() // width)  # the absolute number of the bucket being filled

    def add(self, seconds: float) -> None:
        """Records one completed request that took `seconds`."""
        index = self._advance()
        self._passes[index] += 1
        self._seconds[index] += seconds

    def max_passes_per_second(self) -> float:
        """The most requests any full bucket completed, per second."""
        current = self._advance()
        best = max((n for i, n in enumerate(self._passes) if i != current), default=0)
        return best / self._width

    def min_average_seconds(self) -> float | None:
        """The lowest average duration over the full buckets that completed anything; None when none did."""
        current = self._advance()
        averages = [
            s / n for i, (n, s) in enumerate(zip(self._passes, self._seconds, strict=True)) if n and i != current
        ]
        return min(averages, default=None)

    def _advance(self) -> int:
        """Moves to the bucket of now, emptying the buckets skipped on the way; its index."""
        now = int(self._clock() // self._width)
        size = len(self._passes)
        if now > self._current:
            for step in range(self._current + 1, min(now, self._current + size) + 1):
                self._passes[step % size] = 0
                self._seconds[step % size] = 0.0
            self._current = now
        return self._current % size


__all__ = ["RollingWindow"]
