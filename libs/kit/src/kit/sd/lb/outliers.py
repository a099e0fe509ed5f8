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
target unavailable. The idea is Envoy's outlier detection; the code is the kit's own. What one instance's record
holds, and how the middleware around its endpoint fills it, is in `kit.sd.lb.watched`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kit.circuitbreaker import Breaker, State
from kit.clock import Clock
from kit.endpoint import Endpoint, Req, Resp
from kit.sd.lb.watched import InstanceState, Watched

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """How each instance's circuit breaker behaves (see `kit.circuitbreaker.Breaker`)."""

    failures: int = 5
    wait: float = 0.25
    max_wait: float = 5.0


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
        self._instances: dict[str, InstanceState] = {}

    def watch(self, instance: str) -> Watched:
        """Starts a fresh record of `instance` (its circuit closed, its latency unknown) for one endpoint's lifetime:
        put `.middleware` around the endpoint and call `.forget()` when it is closed."""
        state = self._new_state(instance)
        self._instances[instance] = state
        return Watched(state, self._clock, lambda: self._forget(instance, state))

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

    def _forget(self, instance: str, state: InstanceState) -> None:
        if self._instances.get(instance) is state:  # not a newer record of an instance that came back
            del self._instances[instance]

    def _new_state(self, instance: str) -> InstanceState:
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
        return InstanceState(breaker)


__all__ = ["BreakerSettings", "Outliers", "Watched"]
