"""A circuit breaker: stops sending work to an instance that keeps failing, and soon tries it again.

Written by hand rather than taken from a library: pybreaker calls synchronous functions (its async support is
built on Tornado), aiobreaker has had no release since 2021, and neither knows the kit's errors, a growing wait or
a fake clock. The design is go-kit's Gobreaker middleware over sony/gobreaker's state machine, changed where that
design turns a short hiccup into a long outage:

- closed: calls go through. `failures` consecutive failures open the circuit, and so does one failure for which
  `trips` is true (by default a refused or reset connection: the instance is not there). A success resets the count.
- open: calls are refused at once with `Unavailable`. After a wait the circuit is half-open. The wait starts at
  `wait` (a few hundred ms) and doubles each time a trial fails, up to `max_wait`; closing resets it.
- half-open: up to `half_open_max` trial calls at a time; the first to succeed closes, the first to fail opens.
  A trial that reports nothing within `max_wait` (admitted, then dropped before it ran) frees its place.

What counts (`counts`, by default `instance_failure`): only errors that say something about the instance: an
unreachable instance, UNAVAILABLE, its own internal errors. Nothing else is a failure: a business error, a bad
request or a rate limit is the instance's answer and counts as a success; a deadline that ran out or a cancellation
says nothing either way (the caller's budget may have been small, or the caller starved of CPU). Results of calls
that began before the latest transition are ignored, so a slow call from an old state cannot close or open it.

Balancers ask `allows()` / `admit()` before choosing an instance and may still send a call through an open circuit
when every instance is open (see `kit.sd.lb.outliers`): `record()` then takes its outcome like any other.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import TypeVar

from kit.circuitbreaker.judges import Judge, answered, instance_failure, unreachable
from kit.clock import Clock
from kit.errors import Unavailable

T = TypeVar("T")


class State(IntEnum):
    """A breaker's state; the values are those of the `kit_circuit_state` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Breaker:
    """The state machine of one circuit, named after what it protects (`name` appears in its error message).

    `on_state` is called with the new state's value (0 closed, 1 half-open, 2 open) on every transition, not for
    the initial closed state. Not thread-safe: use one breaker from one event loop.
    """

    def __init__(
        self,
        name: str,
        *,
        failures: int = 5,
        wait: float = 0.25,
        max_wait: float = 5.0,
        half_open_max: int = 1,
        counts: Judge = instance_failure,
        trips: Judge = unreachable,
        on_state: Callable[[int], None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError(f"failures must be at least 1, got {failures!r}")
        if not 0 < wait <= max_wait:
            raise ValueError(f"need 0 < wait <= max_wait, got wait={wait!r}, max_wait={max_wait!r}")
        if half_open_max < 1:
            raise ValueError(f"half_open_max must be at least 1, got {half_open_max!r}")
        self.name = name
        self._failures = failures
        self._wait = wait
        self._max_wait = max_wait
        self._half_open_max = half_open_max
        self._counts = counts
        self._trips = trips
        self._on_state = on_state
        self._clock = clock
        self._state = State.CLOSED
        self._generation = 0
        self._consecutive = 0
        self._trials = 0
        self._reopen_at = 0.0
        self._trials_expire = 0.0
        self._current_wait = wait

    @property
    def state(self) -> State:
        """The current state, moving from open to half-open when the wait is over."""
        if self._state is State.OPEN and self._clock() >= self._reopen_at:
            self._move(State.HALF_OPEN)
        return self._state

    @property
    def generation(self) -> int:
        """Changes at every transition; `record` ignores outcomes of calls admitted in an older generation."""
        return self._generation

    def allows(self) -> bool:
        """Whether a call would be let through now (without taking a half-open trial's place)."""
        state = self.state
        if state is State.HALF_OPEN and self._trials and self._clock() >= self._trials_expire:
            # A trial that never reported (admitted, then dropped before it ran) must not hold its place for ever.
            self._trials = 0
        return state is State.CLOSED or (state is State.HALF_OPEN and self._trials < self._half_open_max)

    def admit(self) -> int:
        """Lets one call through or raises `Unavailable`; returns the generation to `record` its outcome with."""
        if not self.allows():
            raise Unavailable(f"circuit open for {self.name}")
        if self._state is State.HALF_OPEN:
            self._trials += 1
            self._trials_expire = self._clock() + self._max_wait
        return self._generation

    def record(self, generation: int, error: BaseException | None) -> None:
        """Takes the outcome of a call admitted in `generation`: None for a success, else the error it raised."""
        if generation != self._generation:
            return
        if error is None or answered(error):
            if self._state is not State.CLOSED:
                self._move(State.CLOSED)  # a trial, or a call sent through an open circuit, got an answer
            self._consecutive = 0
            return
        if self._state is State.OPEN:
            return  # a call sent through an open circuit failed: it stays open, its wait unchanged
        if not self._counts(error):
            if self._state is State.HALF_OPEN:
                self._trials = max(0, self._trials - 1)  # a trial without a verdict frees its place
            return
        if self._state is State.HALF_OPEN or self._trips(error):
            self._open()
        elif self._state is State.CLOSED:
            self._consecutive += 1
            if self._consecutive >= self._failures:
                self._open()

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Awaits `fn()` when the breaker lets it through and records the outcome; raises `Unavailable` at once
        (without calling `fn`) when it does not."""
        generation = self.admit()
        try:
            result = await fn()
        except BaseException as exc:
            self.record(generation, exc)
            raise
        self.record(generation, None)
        return result

    def _open(self) -> None:
        was_trial = self._state is State.HALF_OPEN
        self._current_wait = min(self._max_wait, self._current_wait * 2) if was_trial else self._wait
        self._reopen_at = self._clock() + self._current_wait
        self._move(State.OPEN)

    def _move(self, state: State) -> None:
        self._state = state
        self._generation += 1
        self._consecutive = 0
        self._trials = 0
        if self._on_state is not None:
            self._on_state(int(state))


__all__ = ["Breaker", "State"]
