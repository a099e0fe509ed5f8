"""One instance's record in `kit.sd.lb.Outliers`, and the middleware around its endpoint that fills it: every call's
outcome for its breaker, every answer's time for its slowness."""

from __future__ import annotations

from collections.abc import Callable

from kit.circuitbreaker import Breaker
from kit.clock import Clock
from kit.endpoint import Endpoint, Req, Resp
from kit.errors import ConnectionFailed, DeadlineExceeded, KitError


class InstanceState:
    """What the outliers know of one instance: its breaker, its calls in flight, its recent answer time."""

    __slots__ = ("breaker", "busy_since", "in_flight", "latency", "next_probe")

    def __init__(self, breaker: Breaker) -> None:
        self.breaker = breaker
        self.in_flight = 0
        self.busy_since = 0.0  # when it last answered, or went from idle to busy, whichever is later
        self.latency = 0.0  # peak EWMA of answer times, in seconds
        self.next_probe = 0.0


class Watched:
    """The record of one instance for the lifetime of its endpoint (see `Outliers.watch`)."""

    def __init__(self, state: InstanceState, clock: Clock, forget: Callable[[], None]) -> None:
        self._state = state
        self._clock = clock
        self._forget = forget

    def middleware(self, next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        """Records every call: its outcome for the breaker, its answer time for slowness."""
        state = self._state
        clock = self._clock

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
        self._forget()


def _answered(state: InstanceState, now: float, start: float) -> None:
    state.busy_since = now
    took = now - start
    # Peak EWMA: a slow answer counts at once, a fast one halves the distance.
    state.latency = took if took > state.latency else (state.latency + took) / 2


def _record_error(state: InstanceState, now: float, start: float, exc: BaseException) -> None:
    if isinstance(exc, (TimeoutError, DeadlineExceeded)):
        # No answer within this long: its answer time is at least that.
        state.latency = max(state.latency, now - start)
    elif isinstance(exc, KitError) and not isinstance(exc, ConnectionFailed):
        _answered(state, now, start)  # the instance answered, with an error
    # A cancellation (the caller went away, or a hedge won), an unreachable instance or a bug in the caller says
    # nothing of how fast the instance answers.


__all__ = ["InstanceState", "Watched"]
