"""The breaker's waits: a trial soon after opening, a wait that grows while trials fail, and a trial that never
reports does not hold its place for ever."""

from __future__ import annotations

import pytest

from kit.circuitbreaker import State
from kit.errors import Unavailable
from support.breaker import make, run


@pytest.mark.parametrize(
    ("script", "state"),
    [
        ("fail wait:0.24", State.OPEN),
        ("fail wait:0.25", State.HALF_OPEN),  # the first trial soon after opening
        ("fail wait:0.25 fail wait:0.49", State.OPEN),  # a failed trial doubles the wait
        ("fail wait:0.25 fail wait:0.5", State.HALF_OPEN),
        ("fail wait:0.25 fail wait:0.5 fail wait:1 fail wait:2 fail wait:3.9", State.OPEN),
        ("fail wait:0.25 fail wait:0.5 fail wait:1 fail wait:2 fail wait:4 fail wait:4.9", State.OPEN),
        ("fail wait:0.25 fail wait:0.5 fail wait:1 fail wait:2 fail wait:4 fail wait:5", State.HALF_OPEN),  # capped
        ("fail wait:0.25 fail wait:0.5 ok fail wait:0.25", State.HALF_OPEN),  # closing resets the wait
    ],
)
async def test_the_wait_before_a_trial_starts_short_and_grows_while_trials_fail(script: str, state: State) -> None:
    breaker, clock, _ = make(failures=1, wait=0.25, max_wait=5.0)

    await run(breaker, clock, script)

    assert breaker.state is state


def test_a_trial_that_never_reports_frees_its_place_after_max_wait() -> None:
    breaker, clock, _ = make(failures=1, wait=0.25, max_wait=5.0)
    breaker.record(breaker.admit(), Unavailable("down"))
    clock.advance(0.25)
    breaker.admit()  # a trial admitted, then dropped before it ran: it never records
    assert not breaker.allows()
    clock.advance(4.9)
    assert not breaker.allows()
    clock.advance(0.1)
    assert breaker.allows()
    assert breaker.state is State.HALF_OPEN
