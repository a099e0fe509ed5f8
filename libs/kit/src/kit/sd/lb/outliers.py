"""Outlier detection: which instances of a target a balancer should avoid right now, and never all of them.

Two signals per instance, both recorded by the middleware that `Outliers.middleware(instance)` puts around that
instance's endpoint:

- **failures**, through one circuit breaker per instance (`kit.circuitbreaker.Breaker`): an unreachable instance
  is avoided at once, one that keeps answering UNAVAILABLE or INTERNAL after `failures` in a row; a half-open trial
  goes out after a short wait that grows while the instance keeps failing;
- **slowness**, relative to the other instances: an instance is slow when it has calls in flight but has not
  answered any of them for longer than the slow threshold (hung, paused), or when its recent latency (an EWMA that
  rises at once and decays by half per answer) is above it. The threshold is `slow_after` or `slow_factor` times the
  fastest instance's latency, whichever is larger, so a caller starved of CPU, which sees every instance slow,
  avoids none. A slow instance still gets one call every `probe_every` seconds, to notice when it is fast again.

A slow instance is not a failed one: no circuit opens for it, and a deadline that ran out never counts against an
instance (the caller's budget may have been small, or the caller starved of CPU). When every instance is to be
avoided, the balancer uses them all as if none were (Envoy's panic threshold): avoidance alone never makes a
target unavailable. The idea is Envoy's outlier detection; the code is the kit's own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.circuitbreaker import Breaker, State
from kit.clock import Clock
from kit.endpoint import Endpoint, Req, Resp
from kit.errors import ConnectionFailed, DeadlineExceeded, KitError

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """How each instance's circuit breaker behaves (see `kit.circuitbreaker.Breaker`)."""

    failures: int = 5
    wait: float = 0.25
    max_wait: float = 5.0


class _Instance:
    __slots__ = ("breaker", "busy_since", "in_flight", "latency", "next_probe")

    def __init__(self, breaker: Breaker) -> None:
        self.breaker = breaker
        self.in_flight = 0
        self.busy_since = 0.0  # when it last answered, or went from idle to busy, whichever is later
        self.latency = 0.0  # peak EWMA of answer times, in seconds
        self.next_probe = 0.0


class Outliers:
    """The health of every instance of one target, shared by its balancer and its per-instance middlewares."""

    def __init__(
        self,
        target: str,
        *,
        breaker: BreakerSettings = BreakerSettings(),
        slow_after: float = 0.05,
        slow_factor: float = 5.0,
        probe_every: float = 0.2,
        on_state: Callable[[str, int], None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.target = target
        self._breaker = breaker
        self._slow_after = slow_after
        self._slow_factor = slow_factor
        self._probe_every = probe_every
        self._on_state = on_state
        self._clock = clock
        self._instances: dict[str, _Instance] = {}

    def watch(self, instance: str) -> Watched:
        """Starts a fresh record of `instance` (its circuit closed, its latency unknown) for one endpoint's lifetime:
        put `.middleware` around the endpoint and call `.forget()` when it is closed."""
        state = self._new_state(instance)
        self._instances[instance] = state
        return Watched(self, instance, state)

    def middleware(self, instance: str) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
        """`watch(instance).middleware`, for an instance that is never forgotten (a fixed set)."""
        return self.watch(instance).middleware

    def admit(self, instance: str, fastest: float) -> bool:
        """Whether the balancer may send the next call to `instance` (taking a half-open trial's place if so).
        `fastest` is `fastest()` of this pick, so that one pick compares every instance to the same yardstick."""
        state = self._instances.get(instance)
        if state is None:
            return True
        now = self._clock()
        threshold = max(self._slow_after, self._slow_factor * fastest)
        stalled = state.in_flight > 0 and now - state.busy_since > threshold
        if stalled or state.latency > threshold:
            if stalled or now < state.next_probe or not state.breaker.allows():
                return False
            state.next_probe = now + self._probe_every
        if not state.breaker.allows():
            return False
        state.breaker.admit()
        return True

    def fastest(self) -> float:
        """The lowest recent answer time among the instances whose circuit is closed, the yardstick of slowness
        (an unreachable instance never answered: its time says nothing)."""
        return min((s.latency for s in self._instances.values() if s.breaker.allows()), default=0.0)

    def reachable(self, instance: str) -> bool:
        """Whether the circuit of `instance` would let a call through (slow or not)."""
        state = self._instances.get(instance)
        return state is None or state.breaker.allows()

    def state(self, instance: str) -> State:
        """The circuit state of `instance` (closed for one never called)."""
        state = self._instances.get(instance)
        return State.CLOSED if state is None else state.breaker.state

    def _forget(self, instance: str, state: _Instance) -> None:
        if self._instances.get(instance) is state:  # not a newer record of an instance that came back
            del self._instances[instance]

    def _new_state(self, instance: str) -> _Instance:
        report = self._on_state
        target = self.target

        def on_state(value: int) -> None:
            # Operators want to see every transition; they are rare (each wait is at least `wait` seconds).
            name = State(value).name.lower().replace("_", "-")
            _log.warning("circuit %s", name, extra={"target": target, "instance": instance})
            if report is not None:
                report(instance, value)

        settings = self._breaker
        breaker = Breaker(
            f"{target} {instance}",
            failures=settings.failures,
            wait=settings.wait,
            max_wait=settings.max_wait,
            on_state=on_state,
            clock=self._clock,
        )
        return _Instance(breaker)


class Watched:
    """The record of one instance for the lifetime of its endpoint (see `Outliers.watch`)."""

    def __init__(self, outliers: Outliers, instance: str, state: _Instance) -> None:
        self._outliers = outliers
        self._instance = instance
        self._state = state

    def middleware(self, next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        """Records every call: its outcome for the breaker, its answer time for slowness."""
        state = self._state
        clock = self._outliers._clock

        async def recorded(request: Req) -> Resp:
            generation = state.breaker.generation
            start = clock()
            if state.in_flight == 0:
                state.busy_since = start
            state.in_flight += 1
            try:
                response = await next_(request)
            except BaseException as exc:
                state.in_flight -= 1
                _record_error(state, clock(), start, exc)
                state.breaker.record(generation, exc)
                raise
            state.in_flight -= 1
            _answered(state, clock(), start)
            state.breaker.record(generation, None)
            return response

        return recorded

    def forget(self) -> None:
        """The endpoint is closed: drop its record, so that the instance, if it comes back, starts afresh."""
        self._outliers._forget(self._instance, self._state)


def _answered(state: _Instance, now: float, start: float) -> None:
    state.busy_since = now
    took = now - start
    # Peak EWMA: a slow answer counts at once, a fast one halves the distance.
    state.latency = took if took > state.latency else (state.latency + took) / 2


def _record_error(state: _Instance, now: float, start: float, exc: BaseException) -> None:
    if isinstance(exc, (TimeoutError, DeadlineExceeded)):
        # No answer within this long: its answer time is at least that.
        state.latency = max(state.latency, now - start)
    elif isinstance(exc, KitError) and not isinstance(exc, ConnectionFailed):
        _answered(state, now, start)  # the instance answered, with an error
    # A cancellation (the caller went away, or a hedge won), an unreachable instance or a bug in the caller says
    # nothing of how fast the instance answers.


__all__ = ["BreakerSettings", "Outliers", "Watched"]
