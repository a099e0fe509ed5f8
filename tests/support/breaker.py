"""A breaker on a fake clock, a fake dependency, and a player of scripts (`ok`, `fail`, `wait:<seconds>`)."""

from __future__ import annotations

import contextlib

from kit.circuitbreaker import Breaker
from kit.errors import Unavailable
from support.clock import FakeClock


class Dependency:
    """A fake dependency: answers "ok" or raises the error it is told to, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.error: BaseException | None = None

    async def __call__(self) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return "ok"


def make(**kwargs: float) -> tuple[Breaker, FakeClock, list[int]]:
    clock = FakeClock()
    states: list[int] = []
    options = {"failures": 3, "wait": 10.0, "max_wait": 10.0, "half_open_max": 1, **kwargs}
    breaker = Breaker(
        "trim",
        failures=int(options["failures"]),
        wait=options["wait"],
        max_wait=options["max_wait"],
        half_open_max=int(options["half_open_max"]),
        on_state=states.append,
        clock=clock,
    )
    return breaker, clock, states


async def run(breaker: Breaker, clock: FakeClock, script: str) -> None:
    """Plays a script of steps: `ok`, `fail`, `wait:<seconds>`; refusals by an open circuit are ignored."""
    dependency = Dependency()
    for step in script.split():
        if step.startswith("wait:"):
            clock.advance(float(step.removeprefix("wait:")))
            continue
        dependency.error = None if step == "ok" else Unavailable("down")
        with contextlib.suppress(Unavailable):
            await breaker.call(dependency)
