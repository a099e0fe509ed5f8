"""How far behind the event loop runs: the time a callback that is due waits before it runs.

An asyncio server has no queue of its own that a request waits in: requests that have arrived wait in the event
loop, behind every other ready callback. A timer that fires every `interval` seconds and notes how late it ran
measures that wait directly. Each tick costs one timer callback.

Lateness is read from `time.monotonic()`, not from the loop's clock, also while the tick still waits: uvloop's
clock is read once per loop iteration, so a burst of requests arriving in one iteration would see no lag until the whole
burst had been taken in. Measured with a clock that moves, the lag grows while the burst is being read, and the
shedder sees it before the burst is all admitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time


class LoopLag:
    """The running loop's lag, sampled every `interval` seconds from the first `seconds()` call on."""

    def __init__(self, *, interval: float = 0.01) -> None:
        self._interval = interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self._lag = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def seconds(self) -> float:
        """The latest lag: how late the last tick ran, or how late the pending tick already is when more."""
        loop = self._loop
        if loop is None or loop.is_closed():
            # Read outside any running loop (a test rendering the metrics): nothing to measure.
            with contextlib.suppress(RuntimeError):
                self._start()
            return self._lag
        return max(self._lag, time.monotonic() - self._due)

    def stop(self) -> None:
        """Stops sampling (it starts again on the next `seconds()`)."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._loop = None

    def _start(self) -> None:
        self._loop = asyncio.get_running_loop()  # RuntimeError when none runs
        self._lag = 0.0
        self._schedule()

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = time.monotonic() + self._interval
        self._handle = self._loop.call_later(self._interval, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        self._lag = max(0.0, time.monotonic() - self._due)
        self._schedule()


__all__ = ["LoopLag"]
