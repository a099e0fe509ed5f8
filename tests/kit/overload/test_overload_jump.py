"""kit.overload.Shedder while its loop keeps up: a sudden jump past the limit is held for one interval, and the limit
follows it only if the loop kept up and durations stayed at their usual value."""

from __future__ import annotations

import math

import pytest

from support.shedder import interval, make, turn_over


def test_a_sudden_jump_is_held_at_the_limit_while_the_loop_keeps_up() -> None:
    shedder, _, _ = make(initial_limit=80, headroom=1.25)
    shedder.in_flight = 79
    assert not shedder.should_shed()
    shedder.in_flight = 80
    assert shedder.should_shed()


def after_a_jump(seconds: float) -> tuple[float, int, float]:
    """64 requests at their usual 20 ms, then a jump to 1.25 times the limit (held), whose requests then take
    `seconds` each with the loop keeping up: the limit before, the jump, and the limit after."""
    shedder, _, clock = make(initial_limit=80, headroom=1.25)
    turn_over(shedder, clock, in_flight=64, seconds=0.02)
    before = shedder.limit()
    jump = math.ceil(before * 1.25)
    shedder.in_flight = jump
    assert shedder.should_shed()  # held at the jump
    shedder.in_flight = 0
    turn_over(shedder, clock, in_flight=jump, seconds=seconds)
    return before, jump, shedder.limit()


def test_after_a_jump_the_loop_kept_up_with_the_limit_follows_at_once() -> None:
    _, jump, after = after_a_jump(0.02)  # durations held, no lag
    assert after == pytest.approx(jump * 1.25)  # held one interval a step


def test_after_a_jump_whose_durations_grew_the_limit_does_not_follow() -> None:
    # Requests pile up on a slow dependency, or on a loop that has not fallen behind yet: waiting is waiting.
    before, _, after = after_a_jump(0.09)  # 4.5x the usual
    assert after < before


def test_after_a_jump_whose_durations_grew_with_it_the_limit_does_not_follow() -> None:
    # 1.25 times the requests in flight, each 1.25 times as long: within the tolerance, but nothing got done faster
    # (the extra requests only waited), so more concurrency would only add latency.
    before, _, after = after_a_jump(0.025)
    assert after <= before + math.sqrt(before)  # at most the probe's step, not the jump


def test_after_a_jump_the_loop_fell_behind_with_the_limit_does_not_follow() -> None:
    shedder, lag, clock = make(initial_limit=80, headroom=1.25)
    shedder.in_flight = 100
    assert shedder.should_shed()
    shedder.in_flight = 0
    lag.seconds = 0.2  # the jump it let in put the loop behind
    interval(shedder, clock, in_flight=100, seconds=0.02)
    assert shedder.limit() < 100
