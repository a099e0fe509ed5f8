"""The decision to shed: an adaptive concurrency limit per service, in the spirit of Netflix's concurrency-limits
(the gradient limit) and go-zero's adaptive shedder, for a server whose queue is its event loop.

A request is shed when the service already has `limit()` requests in flight. What that means depends on whether
the service is overloaded: its event loop runs more than `lag` seconds behind (ready work waits: an asyncio server
has no queue of its own, its requests wait in the loop), or did, or shed a request, less than `cool_off` seconds
ago (go-zero's gate, with the loop's lag in the place of the CPU load).
- Overloaded, the limit holds: the excess would only wait.
- Not overloaded, a request past the limit is a sudden jump (the limit stands `headroom` above what requests needed):
  it is shed until the next interval, and if the loop kept up and durations stayed at their usual value (measured
  on at least as many completed requests as were in flight) the limit follows at once, to the peak times
  `headroom`. A legitimate ramp waits about one interval a step; a 4x overload is caught before the work it brings
  (mostly paid after admission, when the answers of dependencies come back) has made the loop fall behind.
The limit is learned as Netflix's gradient limit learns it: every `interval` seconds, from the average duration of
the requests completed in it (short) and a slow average of those (long), `limit = limit x clamp(tolerance x long /
short, 0.5, 1) + sqrt(limit)`, smoothed. It grows by its square root (probing) only while requests in flight come
within `headroom` of it, so it stays near what the service was doing, and, while it sheds, only while durations are
at or below their usual value, so that accepted requests keep their usual latency rather than `tolerance` times
it. Durations past `tolerance` times their usual value shrink it (at most by half an interval) while the service is
overloaded or requests press on the limit: longer durations there mean requests wait, in this loop or on a
dependency.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.errors import Overloaded
from kit.overload.lag import LoopLag


@dataclass(frozen=True, slots=True)
class ShedConfig:
    """The knobs of a `Shedder` (and what `<SERVICE>_SHED_*` variables set)."""

    enabled: bool = True
    lag: float = 0.02
    cool_off: float = 1.0
    tolerance: float = 1.5
    headroom: float = 1.25
    """The limit grows only while requests in flight reach at least limit / headroom: it stays within this factor
    of the concurrency requests needed, so that a burst is held near what the service was doing."""
    initial_limit: int = 64
    min_limit: int = 4
    max_limit: int = 2000
    retry_after: float = 1.0
    interval: float = 0.1
    smoothing: float = 0.2
    long_samples: int = 100
    """How many intervals the long average of the durations spans (10 s at 0.1 s)."""


class Shedder:
    """Admits or sheds each request of one service, and learns its limit from the requests it admitted.

    `lag` returns the event loop's current lag in seconds (`LoopLag.seconds` in production); `clock` returns
    monotonic seconds. Both are parameters so tests drive them by hand.
    """

    def __init__(self, cfg: ShedConfig, *, lag: Callable[[], float], clock: Callable[[], float]) -> None:
        self.cfg = cfg
        self._lag = lag
        self._clock = clock
        self._limit = float(cfg.initial_limit)
        self._long: float | None = None
        self._sum = 0.0
        self._count = 0
        self._peak = 0
        self._lagged = False
        self._jumped = False
        self._shed = False
        self._next_update = clock() + cfg.interval
        self._overloaded_at = -math.inf
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
        """How many requests may be in flight while overloaded."""
        return self._limit

    def overloaded(self) -> bool:
        """True while the loop runs behind, and for `cool_off` seconds after it last did or a request was shed."""
        now = self._clock()
        if self._lag() > self.cfg.lag:
            self._lagged = True
            self._overloaded_at = now
            return True
        return now - self._overloaded_at < self.cfg.cool_off

    def should_shed(self) -> bool:
        """Whether to shed the request at hand (and remember that it was, for the cool-off)."""
        overloaded = self.overloaded()  # read even when disabled: keeps the lag measured and exported
        if not self.cfg.enabled:
            return False
        if self.in_flight < self._limit:
            return False
        if overloaded:
            self._overloaded_at = self._clock()
            self._shed = True
        else:
            # The loop keeps up, but the work a request brings is mostly paid after it is admitted: a sudden jump
            # past the limit (which stands `headroom` above what requests needed) is held there until the next
            # interval shows whether the loop keeps up with it.
            self._jumped = True
        return True

    def gate(self, on_shed: Callable[[], None] = lambda: None) -> Callable[[], Overloaded | None]:
        """The same decision as a transport's early gate (`kit.transport.http.Shed`): `None` admits the request, an
        `Overloaded` error sheds it (`on_shed` is called, a metric). Admitted requests are counted in and out by the
        `shedding` middleware behind it, which shares this shedder."""
        refusal = Overloaded(retry_after=self.cfg.retry_after)

        def shed() -> Overloaded | None:
            if not self.should_shed():
                return None
            on_shed()
            return refusal

        return shed

    def admitted(self) -> float:
        """Counts a request in; returns its start time for `done`."""
        self.in_flight += 1
        self._peak = max(self._peak, self.in_flight)
        return self._clock()

    def done(self, started: float, *, completed: bool) -> None:
        """Counts a request out; a `completed` one (answered, not failed) teaches the limit its duration."""
        self.in_flight -= 1
        now = self._clock()
        if completed:
            self._sum += now - started
            self._count += 1
        if now >= self._next_update:
            self._update(now)
            self._next_update = now + self.cfg.interval

    def _update(self, now: float) -> None:
        cfg = self.cfg
        total, count, peak = self._sum, self._count, self._peak
        lagged, jumped, shed = self._lagged, self._jumped, self._shed
        self._sum, self._count, self._peak = 0.0, 0, self.in_flight
        self._lagged = self._jumped = self._shed = False
        if count == 0:
            return
        short = total / count
        long = short if self._long is None else self._long + (short - self._long) / cfg.long_samples
        if long > 2 * short:  # durations fell a lot (load went away): let the long average follow quickly
            long = long * 0.95
        self._long = long
        if peak < self._limit / cfg.headroom:  # requests in flight did not need the limit: it says nothing about it
            return
        # Overloaded: behind in this interval, or within the cool-off (while it sheds, its loop may keep up because
        # it sheds; the excess is still there).
        overloaded = lagged or now - self._overloaded_at < cfg.cool_off
        # Durations no longer than usual, measured on as many requests as were in flight (so that the ones the jump let
        # in had time to show their durations, not only the ones before it). Durations that grew with the jump mean
        # the extra requests only waited: the service did not get faster for them, so the limit does not follow.
        held = short <= long and count >= peak
        if jumped and not overloaded and held:
            # The loop kept up with the jump and durations held: the limit follows it at once (a legitimate ramp is
            # held about one interval a step).
            self._limit = min(float(cfg.max_limit), max(self._limit, peak) * cfg.headroom)
            return
        # Durations teach the limit to shrink while the service is overloaded, or while requests press on the limit
        # (a jump held, or the limit reached): longer durations there mean requests wait, whichever queue it is.
        learn = overloaded or jumped or peak >= self._limit
        gradient = max(0.5, min(1.0, cfg.tolerance * long / short)) if learn and short > 0 else 1.0
        # The probe: while it sheds at the limit, the limit grows only when durations are at or below their usual
        # value, so that it looks for room only where there is some; otherwise the gradient and the probe balance
        # with accepted requests taking about `tolerance` times their usual time, the latency shedding is there to
        # keep. Without sheds (a lag spike, a busy machine) it probes as ever, so noise cannot ratchet it down.
        probe = 0.0 if shed and short > long else math.sqrt(self._limit)
        estimate = self._limit * gradient + probe
        smoothed = (1 - cfg.smoothing) * self._limit + cfg.smoothing * estimate
        self._limit = max(float(cfg.min_limit), min(float(cfg.max_limit), smoothed))


__all__ = ["ShedConfig", "Shedder"]
