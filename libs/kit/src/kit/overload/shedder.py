"""The decision to shed: an adaptive concurrency limit per service, in the spirit of go-zero's adaptive shedder
and Netflix's concurrency-limits, for a server whose queue is its event loop.

A request is shed when both hold:
- the service is overloaded: its event loop runs more than `lag` seconds behind (ready work waits), or it shed a
  request less than `cool_off` seconds ago (so one quiet tick does not let a burst back in);
- it already has as many requests in flight as it can turn over without making them wait: the limit is
  Little's law, the most requests completed in any one-second bucket of the last `window` seconds times the
  lowest average duration of any one-second bucket of the last `rtt_window` seconds (at least `min_limit`).
  go-zero counts in 100 ms buckets; a Python process that shares its cores completes requests in bursts, and
  the best 100 ms of a burst overstates what it can sustain.
  The duration is remembered longer than the throughput on purpose: under a sustained overload the durations of
  the last few seconds are inflated by the overload itself, and a limit learned from them would let it in.
An instance that is not behind never sheds, however many requests wait on a slow dependency: those requests wait
on the dependency, not in this instance's queue.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.overload.lag import LoopLag
from kit.overload.window import RollingWindow

BUCKET_SECONDS = 1.0
"""Width of a bucket of the rolling windows."""


@dataclass(frozen=True, slots=True)
class ShedConfig:
    """The knobs of a `Shedder` (and what `<SERVICE>_SHED_*` variables set)."""

    enabled: bool = True
    lag: float = 0.05
    cool_off: float = 1.0
    window: float = 5.0
    rtt_window: float = 60.0
    min_limit: int = 4
    retry_after: float = 1.0


class Shedder:
    """Admits or sheds each request of one service, and learns its limit from the requests it admitted.

    `lag` returns the event loop's current lag in seconds (`LoopLag.seconds` in production); `clock` returns
    monotonic seconds. Both are parameters so tests drive them by hand.
    """

    def __init__(
        self,
        cfg: ShedConfig,
        *,
        lag: Callable[[], float],
        clock: Callable[[], float],
        window: RollingWindow | None = None,
    ) -> None:
        self.cfg = cfg
        self._lag = lag
        self._clock = clock
        buckets = max(2, round(cfg.window / BUCKET_SECONDS))
        self.window = window or RollingWindow(buckets=buckets, width=BUCKET_SECONDS, clock=clock)
        """Where the throughput is learned from: the requests admitted and completed lately."""
        buckets = max(2, round(cfg.rtt_window / BUCKET_SECONDS))
        self.rtt_window = RollingWindow(buckets=buckets, width=BUCKET_SECONDS, clock=clock)
        """Where the duration is learned from: the same requests, over a longer time."""
        self._shed_at = -math.inf
        self.in_flight = 0

    @classmethod
    def on_loop(cls, cfg: ShedConfig) -> Shedder:
        """A shedder for a server on the running event loop: its lag measured by a `LoopLag` (sampling from the
        first request on), its time from `time.monotonic`. Make one per service: the limit is the service's."""
        return cls(cfg, lag=LoopLag().seconds, clock=time.monotonic)

    def lag(self) -> float:
        """The event loop's lag, in seconds, as the shedder sees it."""
        return self._lag()

    def limit(self) -> float:
        """How many requests may be in flight while overloaded: completed per second x seconds each, at best."""
        best = self.rtt_window.min_average_seconds()
        if best is None:
            return float(self.cfg.min_limit)
        return max(float(self.cfg.min_limit), self.window.max_passes_per_second() * best)

    def overloaded(self) -> bool:
        """True while the loop runs behind, or for `cool_off` seconds after a request was shed."""
        return self._lag() > self.cfg.lag or self._clock() - self._shed_at < self.cfg.cool_off

    def should_shed(self) -> bool:
        """Whether to shed the request at hand (and remember that it was, for the cool-off)."""
        overloaded = self.overloaded()  # read even when disabled: keeps the lag measured and exported
        if not self.cfg.enabled or not overloaded or self.in_flight < self.cfg.min_limit:
            return False
        if self.in_flight < self.limit():
            return False
        self._shed_at = self._clock()
        return True

    def admitted(self) -> float:
        """Counts a request in; returns its start time for `done`."""
        self.in_flight += 1
        return self._clock()

    def done(self, started: float, *, completed: bool) -> None:
        """Counts a request out; a `completed` one (answered, not failed) teaches the limit its duration."""
        self.in_flight -= 1
        if completed:
            took = self._clock() - started
            self.window.add(took)
            self.rtt_window.add(took)


__all__ = ["BUCKET_SECONDS", "ShedConfig", "Shedder"]
