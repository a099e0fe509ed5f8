"""kit.overload.Shedder: sheds only while overloaded and past the learned limit; the middleware answers at once."""

from __future__ import annotations

import asyncio
import math

import pytest

from kit.errors import BusinessError, Overloaded
from kit.overload import ShedConfig, Shedder, shedding
from support.clock import FakeClock


class Lag:
    """The loop lag, set by hand."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def make(**knobs: float) -> tuple[Shedder, Lag, FakeClock]:
    lag, clock = Lag(), FakeClock()
    cfg = ShedConfig(**knobs)  # type: ignore[arg-type]
    return Shedder(cfg, lag=lag, clock=clock), lag, clock


def interval(shedder: Shedder, clock: FakeClock, *, in_flight: int, seconds: float) -> None:
    """One interval in which `in_flight` requests run together, each taking `seconds`, and complete."""
    shedder.should_shed()  # reads the lag, as every request does
    starts = [shedder.admitted() for _ in range(in_flight)]
    clock.advance(shedder.cfg.interval)
    for started in starts:
        shedder.done(started + shedder.cfg.interval - seconds, completed=True)


def test_with_no_lag_nothing_within_the_headroom_is_shed_however_slow() -> None:
    shedder, _, _ = make(initial_limit=10)
    shedder.in_flight = 12  # waiting on a slow dependency, not on this loop: past the limit, within 1.25x
    assert not shedder.should_shed()


def test_behind_and_at_the_limit_sheds() -> None:
    shedder, lag, _ = make(initial_limit=10)
    lag.seconds = 0.2
    shedder.in_flight = 9
    assert not shedder.should_shed()
    shedder.in_flight = 10
    assert shedder.should_shed()


def test_while_durations_hold_the_limit_grows_by_probing() -> None:
    shedder, lag, clock = make(initial_limit=16)
    lag.seconds = 0.2
    for _ in range(20):
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.02)
    assert shedder.limit() > 30


def test_durations_past_the_tolerance_shrink_the_limit_when_the_loop_is_behind() -> None:
    shedder, lag, clock = make(initial_limit=64, min_limit=4)
    for _ in range(20):  # the usual: 20 ms
        interval(shedder, clock, in_flight=40, seconds=0.02)
    before = shedder.limit()
    lag.seconds = 0.2
    for _ in range(15):  # overloaded: five times as long
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.1)
    assert shedder.limit() < before / 2


def test_longer_durations_without_lag_are_a_dependency_and_do_not_shrink_it() -> None:
    shedder, _, clock = make(initial_limit=64)
    for _ in range(20):
        interval(shedder, clock, in_flight=60, seconds=0.02)
    before = shedder.limit()
    for _ in range(10):
        interval(shedder, clock, in_flight=60, seconds=0.5)
    assert shedder.limit() >= before


def test_a_limit_the_requests_do_not_reach_does_not_grow() -> None:
    shedder, lag, clock = make(initial_limit=64)
    lag.seconds = 0.2
    for _ in range(20):
        interval(shedder, clock, in_flight=8, seconds=0.02)
    assert shedder.limit() == 64


def test_the_limit_stays_within_its_bounds() -> None:
    shedder, lag, clock = make(initial_limit=8, min_limit=4, max_limit=12)
    lag.seconds = 0.2
    for _ in range(30):
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.02)
    assert shedder.limit() == 12
    for _ in range(30):
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=5.0)
    assert 4 <= shedder.limit() < 6


def test_the_cool_off_keeps_shedding_after_the_lag_drops_then_ends() -> None:
    shedder, lag, clock = make(initial_limit=10, cool_off=1.0)
    lag.seconds, shedder.in_flight = 0.2, 30
    assert shedder.should_shed()
    lag.seconds = 0.0
    clock.advance(0.5)
    assert shedder.should_shed()  # and the cool-off starts again from here
    clock.advance(1.1)
    shedder.in_flight = 12  # past the limit, within its headroom (1.25): only a jump would be held now
    assert not shedder.should_shed()


def test_disabled_never_sheds() -> None:
    shedder, lag, _ = make(enabled=False)
    lag.seconds, shedder.in_flight = 1.0, 1000
    assert not shedder.should_shed()


async def test_the_middleware_sheds_at_once_with_retry_after_and_counts() -> None:
    shedder, lag, _ = make(initial_limit=1, retry_after=2.0)
    shed: list[int] = []
    release = asyncio.Event()
    calls = 0

    async def endpoint(request: int) -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return request

    guarded = shedding(shedder, on_shed=lambda: shed.append(1))(endpoint)
    first = asyncio.ensure_future(guarded(1))
    await asyncio.sleep(0)
    lag.seconds = 1.0
    with pytest.raises(Overloaded) as caught:
        await guarded(2)
    release.set()
    assert await first == 1
    assert (calls, shed, shedder.in_flight) == (1, [1], 0)
    assert caught.value.retry_after == 2.0
    assert caught.value.headers() == {"Retry-After": "2"}
    assert (caught.value.http_status, caught.value.grpc_status) == (503, "UNAVAILABLE")


async def test_only_completed_requests_teach_the_limit() -> None:
    # The calls below run one after the other (nothing in them awaits): one in flight, within the headroom of 2.
    shedder, lag, clock = make(initial_limit=2, interval=0.1, headroom=2.0)
    lag.seconds = 0.2

    async def failing(request: int) -> int:
        clock.advance(0.2)
        raise RuntimeError("bug")

    async def refusing(request: int) -> int:
        clock.advance(0.2)
        raise BusinessError("integer overflow")

    for _ in range(5):
        with pytest.raises(RuntimeError):
            await asyncio.gather(shedding(shedder)(failing)(1), shedding(shedder)(failing)(2))
    assert shedder.limit() == 2  # failures say nothing of how long work takes
    for _ in range(5):
        with pytest.raises(BusinessError):
            await asyncio.gather(shedding(shedder)(refusing)(1), shedding(shedder)(refusing)(2))
    assert shedder.limit() > 2  # a business answer is work done like any other
    assert shedder.in_flight == 0


def test_after_the_loop_was_behind_the_limit_holds_for_the_cool_off() -> None:
    # A burst arrives while the loop still keeps up, but it was behind a moment ago: the limit holds it back
    # instead of letting every request of the burst in.
    shedder, lag, clock = make(initial_limit=10, cool_off=1.0)
    lag.seconds = 0.2
    assert not shedder.should_shed()  # behind, but nothing in flight yet
    lag.seconds = 0.0
    clock.advance(0.5)
    shedder.in_flight = 10
    assert shedder.should_shed()
    shedder.in_flight = 9
    assert not shedder.should_shed()
    clock.advance(1.1)  # since the last shed
    shedder.in_flight = 12
    assert not shedder.should_shed()


def test_the_limit_grows_only_while_requests_come_within_its_headroom() -> None:
    shedder, _, clock = make(initial_limit=100, headroom=1.25)
    interval(shedder, clock, in_flight=79, seconds=0.02)  # under 100 / 1.25: the limit was not needed
    assert shedder.limit() == 100
    interval(shedder, clock, in_flight=80, seconds=0.02)
    assert shedder.limit() == 102  # smoothed: 0.8 x 100 + 0.2 x (100 + sqrt(100))


def test_the_gate_admits_or_answers_with_the_error_to_send() -> None:
    shedder, lag, _ = make(initial_limit=1, retry_after=3.0)
    shed: list[int] = []
    gate = shedder.gate(lambda: shed.append(1))
    assert gate() is None
    lag.seconds, shedder.in_flight = 0.2, 1
    refusal = gate()
    assert isinstance(refusal, Overloaded) and refusal.retry_after == 3.0
    assert shed == [1]


def test_a_sudden_jump_is_held_at_headroom_times_the_limit_while_the_loop_keeps_up() -> None:
    shedder, _, _ = make(initial_limit=80, headroom=1.25)
    shedder.in_flight = 99
    assert not shedder.should_shed()
    shedder.in_flight = 100  # 80 x 1.25
    assert shedder.should_shed()


def turn_over(shedder: Shedder, clock: FakeClock, *, in_flight: int, seconds: float) -> None:
    """One interval in which `in_flight` requests run together and turn over: each completes and is replaced, so
    that as many complete within the interval as are in flight, each after `seconds`."""
    shedder.should_shed()
    starts = [shedder.admitted() for _ in range(in_flight)]
    clock.advance(seconds)
    for started in starts[:-1]:
        shedder.done(started, completed=True)
        shedder.admitted()
    clock.advance(shedder.cfg.interval - seconds)
    shedder.done(starts[-1], completed=True)  # the interval ends with the last of them
    shedder.in_flight = 0


def test_after_a_jump_the_loop_kept_up_with_the_limit_follows_at_once() -> None:
    shedder, _, clock = make(initial_limit=80, headroom=1.25)
    turn_over(shedder, clock, in_flight=64, seconds=0.02)  # the usual durations
    limit = shedder.limit()
    shedder.in_flight = math.ceil(limit * 1.25)
    assert shedder.should_shed()  # held at the jump
    shedder.in_flight = 0
    turn_over(shedder, clock, in_flight=math.ceil(limit * 1.25), seconds=0.02)  # durations held, no lag
    assert shedder.limit() == pytest.approx(math.ceil(limit * 1.25) * 1.25)  # held one interval a step


def test_after_a_jump_whose_durations_grew_the_limit_does_not_follow() -> None:
    # Requests pile up on a slow dependency, or on a loop that has not fallen behind yet: waiting is waiting.
    shedder, _, clock = make(initial_limit=80, headroom=1.25)
    turn_over(shedder, clock, in_flight=64, seconds=0.02)
    limit = shedder.limit()
    shedder.in_flight = math.ceil(limit * 1.25)
    assert shedder.should_shed()
    shedder.in_flight = 0
    turn_over(shedder, clock, in_flight=math.ceil(limit * 1.25), seconds=0.09)  # 4.5x the usual
    assert shedder.limit() < limit


def test_after_a_jump_the_loop_fell_behind_with_the_limit_does_not_follow() -> None:
    shedder, lag, clock = make(initial_limit=80, headroom=1.25)
    shedder.in_flight = 100
    assert shedder.should_shed()
    shedder.in_flight = 0
    lag.seconds = 0.2  # the jump it let in put the loop behind
    interval(shedder, clock, in_flight=100, seconds=0.02)
    assert shedder.limit() < 100
