"""A circuit breaker: stops sending work to a dependency that keeps failing, and tries it again later.

Written by hand (~100 lines) rather than taken from a library: pybreaker calls synchronous functions (its async
support is built on Tornado), aiobreaker has had no release since 2021, and neither knows the kit's `is_failure`,
the request deadline or a fake clock. The design is go-kit's Gobreaker middleware over sony/gobreaker's state
machine with its default trip rule, consecutive failures.

States and transitions:
- closed: every call goes through. `failures` consecutive failures open the breaker; any success resets the count.
- open: every call fails at once with `kit.errors.Unavailable("circuit open for <name>")`, without calling the
  dependency. After `reset_timeout` seconds the next call finds the breaker half-open.
- half-open: up to `half_open_max` trial calls go through at a time, later ones fail at once as when open. The first
  trial to succeed closes the breaker; the first to fail opens it again for another `reset_timeout`.

What counts: an exception for which `kit.errors.is_failure` is true is a failure (this includes deadline errors
and `TimeoutError`). Business errors and the caller's own mistakes (invalid argument, payload too large) pass through
and count as successes, because the dependency answered. A call cancelled because the request's deadline passed is a
failure; a call cancelled for any other reason (the caller went away) counts as nothing. Results of calls that began
before the latest transition are ignored, so a slow call from an old state cannot close or open the breaker.
The open -> half-open transition happens on the first call after `reset_timeout`, not on a timer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import TypeVar

from kit.clock import Clock
from kit.endpoint import remaining
from kit.errors import Unavailable, is_failure

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
        reset_timeout: float = 10.0,
        half_open_max: int = 1,
        on_state: Callable[[int], None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError(f"failures must be at least 1, got {failures!r}")
        if not reset_timeout > 0:
            raise ValueError(f"reset_timeout must be above 0 seconds, got {reset_timeout!r}")
        if half_open_max < 1:
            raise ValueError(f"half_open_max must be at least 1, got {half_open_max!r}")
        self.name = name
        self._failures = failures
        self._reset_timeout = reset_timeout
        self._half_open_max = half_open_max
        self._on_state = on_state
        self._clock = clock
        self._state = State.CLOSED
        self._generation = 0
        self._consecutive = 0
        self._trials = 0
        self._opened_at = 0.0

    @property
    def state(self) -> State:
        """The current state, moving from open to half-open when `reset_timeout` has passed."""
        if self._state is State.OPEN and self._clock() - self._opened_at >= self._reset_timeout:
            self._move(State.HALF_OPEN)
        return self._state

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Awaits `fn()` when the breaker lets it through and records the outcome; raises `Unavailable` at once
        (without calling `fn`) when it does not."""
        generation = self._admit()
        try:
            result = await fn()
        except asyncio.CancelledError:
            left = remaining()
            self._record(generation, failed=True if left is not None and left <= 0 else None)
            raise
        except Exception as exc:
            self._record(generation, failed=is_failure(exc))
            raise
        self._record(generation, failed=False)
        return result

    def _admit(self) -> int:
        state = self.state
        if state is State.OPEN or (state is State.HALF_OPEN and self._trials >= self._half_open_max):
            raise Unavailable(f"circuit open for {self.name}")
        if state is State.HALF_OPEN:
            self._trials += 1
        return self._generation

    def _record(self, generation: int, *, failed: bool | None) -> None:
        if generation != self._generation:
            return
        if self._state is State.HALF_OPEN:
            if failed is None:
                self._trials -= 1  # a trial that ended without a verdict frees its place for another
            else:
                self._move(State.OPEN if failed else State.CLOSED)
        elif self._state is State.CLOSED and failed is not None:
            self._consecutive = self._consecutive + 1 if failed else 0
            if self._consecutive >= self._failures:
                self._move(State.OPEN)

    def _move(self, state: State) -> None:
        self._state = state
        self._generation += 1
        self._consecutive = 0
        self._trials = 0
        if state is State.OPEN:
            self._opened_at = self._clock()
        if self._on_state is not None:
            self._on_state(int(state))
