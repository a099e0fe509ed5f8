"""kit.overload.Shedder: sheds only while overloaded and past the learned limit; the middleware answers at once."""

from __future__ import annotations

import asyncio

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


def learn(shedder: Shedder, clock: FakeClock, *, per_bucket: int, seconds: float) -> None:
    """Completes `per_bucket` requests of `seconds` each in one one-second bucket, then moves to the next one."""
    for _ in range(per_bucket):
        started = shedder.admitted()
        shedder.done(started - seconds, completed=True)
    clock.advance(1.0)


def test_with_no_lag_nothing_is_shed_however_many_are_in_flight() -> None:
    shedder, _, clock = make()
    learn(shedder, clock, per_bucket=10, seconds=0.01)  # limit: 10/s x 10 ms = 0.1 -> min_limit 4
    shedder.in_flight = 500  # waiting on a slow dependency, not on this loop
    assert not shedder.should_shed()


def test_behind_and_past_the_limit_sheds() -> None:
    shedder, lag, clock = make(min_limit=2)
    learn(shedder, clock, per_bucket=400, seconds=0.05)  # 400/s x 50 ms = 20 in flight at best
    assert shedder.limit() == pytest.approx(20.0)
    lag.seconds = 0.2
    shedder.in_flight = 19
    assert not shedder.should_shed()
    shedder.in_flight = 20
    assert shedder.should_shed()


def test_the_duration_is_remembered_longer_than_the_throughput() -> None:
    shedder, _, clock = make(min_limit=2, window=5.0, rtt_window=60.0)
    learn(shedder, clock, per_bucket=400, seconds=0.05)  # 400/s at 50 ms: 20
    clock.advance(10.0)  # the throughput is forgotten, the duration is not
    learn(shedder, clock, per_bucket=400, seconds=0.5)  # the same 400/s, inflated to 500 ms by an overload
    assert shedder.limit() == pytest.approx(20.0)


def test_the_cool_off_keeps_shedding_after_the_lag_drops_then_ends() -> None:
    shedder, lag, clock = make(min_limit=2, cool_off=1.0)
    learn(shedder, clock, per_bucket=400, seconds=0.05)
    lag.seconds, shedder.in_flight = 0.2, 30
    assert shedder.should_shed()
    lag.seconds = 0.0
    clock.advance(0.5)
    assert shedder.should_shed()  # and the cool-off starts again from here
    clock.advance(1.1)
    assert not shedder.should_shed()


def test_below_the_minimum_limit_nothing_is_shed() -> None:
    shedder, lag, _ = make(min_limit=4)
    lag.seconds, shedder.in_flight = 1.0, 3
    assert not shedder.should_shed()
    shedder.in_flight = 4
    assert shedder.should_shed()


def test_disabled_never_sheds() -> None:
    shedder, lag, _ = make(enabled=False)
    lag.seconds, shedder.in_flight = 1.0, 1000
    assert not shedder.should_shed()


async def test_the_middleware_sheds_at_once_with_retry_after_and_counts() -> None:
    shedder, lag, _ = make(min_limit=1, retry_after=2.0)
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


async def test_failures_do_not_teach_the_limit_but_business_answers_do() -> None:
    shedder, _, clock = make(min_limit=1)

    async def failing(request: int) -> int:
        raise RuntimeError("bug")

    async def refusing(request: int) -> int:
        raise BusinessError("integer overflow")

    with pytest.raises(RuntimeError):
        await shedding(shedder)(failing)(1)
    clock.advance(1.0)
    assert shedder.rtt_window.min_average_seconds() is None
    with pytest.raises(BusinessError):
        await shedding(shedder)(refusing)(1)
    clock.advance(1.0)
    assert shedder.window.max_passes_per_second() == pytest.approx(1.0)
    assert shedder.rtt_window.min_average_seconds() == 0.0
    assert shedder.in_flight == 0
