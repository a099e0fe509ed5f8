"""kit.overload.Shedder: sheds only while overloaded and past the learned limit; the middleware answers at once."""

from __future__ import annotations

import asyncio
import math

import pytest

from kit.errors import BusinessError, Overloaded
from kit.overload import Shedder, shedding
from support.clock import FakeClock
from support.shedder import interval, make


def test_with_no_lag_nothing_within_the_limit_is_shed_however_slow() -> None:
    shedder, _, _ = make(initial_limit=10)
    shedder.in_flight = 9  # waiting on a slow dependency, not on this loop
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


def test_the_cool_off_keeps_the_service_overloaded_after_the_lag_drops_then_ends() -> None:
    shedder, lag, clock = make(initial_limit=10, cool_off=1.0)
    lag.seconds, shedder.in_flight = 0.2, 30
    assert shedder.should_shed()
    lag.seconds = 0.0
    clock.advance(0.5)
    assert shedder.overloaded()
    assert shedder.should_shed()  # and the cool-off starts again from here
    clock.advance(0.9)
    assert shedder.overloaded()
    clock.advance(0.2)
    assert not shedder.overloaded()  # a request past the limit is now a jump, which the limit may follow


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
    assert shedder.overloaded()
    clock.advance(1.1)  # since the last shed
    assert not shedder.overloaded()


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


def shedding_interval(shedder: Shedder, clock: FakeClock, *, seconds: float) -> None:
    """An interval of an overload: the limit's worth of requests run, each taking `seconds`, one more is shed."""
    shedder.should_shed()
    starts = [shedder.admitted() for _ in range(math.ceil(shedder.limit()))]
    assert shedder.should_shed()
    clock.advance(shedder.cfg.interval)
    for started in starts:
        shedder.done(started + shedder.cfg.interval - seconds, completed=True)


def test_while_it_sheds_durations_above_their_usual_value_do_not_let_the_limit_grow() -> None:
    # Within the tolerance nothing shrinks it, and it does not probe upward either: accepted requests keep about
    # their usual latency instead of settling at 1.5 times it.
    shedder, lag, clock = make(initial_limit=64)
    for _ in range(20):  # the usual: 20 ms
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.02)
    before = shedder.limit()
    lag.seconds = 0.2
    for _ in range(20):  # overloaded and shedding, requests take 1.3 times as long
        shedding_interval(shedder, clock, seconds=0.026)
    assert shedder.limit() == pytest.approx(before)


def test_overloaded_without_shedding_it_still_probes() -> None:
    # Lag spikes of a busy machine while requests stay under the limit: nothing is shed, so nothing holds it down.
    shedder, lag, clock = make(initial_limit=64)
    for _ in range(20):
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.02)
    before = shedder.limit()
    lag.seconds = 0.2
    for _ in range(20):
        interval(shedder, clock, in_flight=int(shedder.limit()) - 1, seconds=0.026)
    assert shedder.limit() > before


def test_while_overloaded_a_limit_set_too_low_grows_back() -> None:
    # A hiccup may halve it; with durations back at their usual value it probes upward again, overloaded or not.
    shedder, lag, clock = make(initial_limit=64)
    for _ in range(20):
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.02)
    lag.seconds = 0.2
    for _ in range(3):  # a pause: durations five times as long
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.1)
    low = shedder.limit()
    for _ in range(30):
        interval(shedder, clock, in_flight=int(shedder.limit()), seconds=0.018)
    assert shedder.limit() > low * 1.5
