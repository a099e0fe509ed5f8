import asyncio
import time

import pytest

from kit.endpoint import request_scope
from kit.errors import RateLimited
from kit.ratelimit import Global, PerClient, TokenBucket, delaying, erroring
from support.clock import FakeClock


class FakeSleep:
    """Records each wait; moves the fake clock on when given one."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


class Echo:
    def __init__(self) -> None:
        self.requests: list[str] = []

    async def __call__(self, request: str) -> str:
        self.requests.append(request)
        return request.upper()


async def test_erroring_lets_the_burst_through_then_refuses_with_retry_after() -> None:
    rejected = Counter()
    inner = Echo()
    endpoint = erroring(Global(TokenBucket(2.0, 2, clock=FakeClock())), on_reject=rejected)(inner)

    assert await endpoint("a") == "A"
    assert await endpoint("b") == "B"
    with pytest.raises(RateLimited) as info:
        await endpoint("c")

    assert info.value.retry_after == pytest.approx(0.5)
    assert inner.requests == ["a", "b"]
    assert rejected.count == 1


async def test_erroring_recovers_when_the_token_is_due() -> None:
    clock = FakeClock()
    endpoint = erroring(Global(TokenBucket(1.0, 1, clock=clock)))(Echo())
    await endpoint("a")
    with pytest.raises(RateLimited):
        await endpoint("b")

    clock.advance(1.0)

    assert await endpoint("c") == "C"


async def test_one_client_over_its_limit_does_not_refuse_another() -> None:
    inner = Echo()
    endpoint = erroring(PerClient(1.0, 1, clock=FakeClock()))(inner)
    with request_scope(client="a"):
        await endpoint("a1")
        with pytest.raises(RateLimited):
            await endpoint("a2")

    with request_scope(client="b"):
        assert await endpoint("b1") == "B1"
    assert inner.requests == ["a1", "b1"]


async def test_delaying_waits_for_the_token_and_calls_the_endpoint() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    inner = Echo()
    endpoint = delaying(Global(TokenBucket(2.0, 1, clock=clock)), sleep=sleep)(inner)

    results = [await endpoint(x) for x in ("a", "b", "c")]

    assert results == ["A", "B", "C"]
    assert sleep.waits == [pytest.approx(0.5), pytest.approx(0.5)]


async def test_delaying_queues_concurrent_requests_one_behind_another() -> None:
    sleep = FakeSleep()  # a frozen clock: every request reserves before any has waited
    endpoint = delaying(Global(TokenBucket(1.0, 1, clock=FakeClock())), sleep=sleep)(Echo())

    await asyncio.gather(*(endpoint(str(i)) for i in range(4)))

    assert sleep.waits == [pytest.approx(1.0), pytest.approx(2.0), pytest.approx(3.0)]


async def test_delaying_refuses_at_once_when_the_token_would_come_after_the_deadline() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    rejected = Counter()
    inner = Echo()
    bucket = TokenBucket(0.1, 1, clock=clock)
    endpoint = delaying(Global(bucket), on_reject=rejected, sleep=sleep)(inner)
    await endpoint("a")

    with request_scope(timeout=5.0), pytest.raises(RateLimited) as info:
        await endpoint("b")

    assert info.value.retry_after == pytest.approx(10.0)
    assert sleep.waits == []
    assert inner.requests == ["a"]
    assert rejected.count == 1
    assert bucket.tokens() == pytest.approx(0.0)  # the refused request reserved nothing


async def test_delaying_waits_when_the_token_comes_before_the_deadline() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    endpoint = delaying(Global(TokenBucket(0.5, 1, clock=clock)), sleep=sleep)(Echo())
    await endpoint("a")

    with request_scope(timeout=30.0):
        assert await endpoint("b") == "B"

    assert sleep.waits == [pytest.approx(2.0)]


async def test_delaying_honours_max_wait_without_a_deadline() -> None:
    sleep = FakeSleep()
    endpoint = delaying(Global(TokenBucket(1.0, 1, clock=FakeClock())), max_wait=1.5, sleep=sleep)(Echo())

    await endpoint("a")
    await endpoint("b")
    with pytest.raises(RateLimited) as info:
        await endpoint("c")

    assert info.value.retry_after == pytest.approx(2.0)
    assert sleep.waits == [pytest.approx(1.0)]


async def test_delaying_per_client_does_not_delay_another_client() -> None:
    sleep = FakeSleep()
    endpoint = delaying(PerClient(1.0, 1, clock=FakeClock()), sleep=sleep)(Echo())
    with request_scope(client="a"):
        await endpoint("a1")
        await endpoint("a2")
    with request_scope(client="b"):
        await endpoint("b1")

    assert sleep.waits == [pytest.approx(1.0)]


async def test_delaying_with_the_real_clock_and_sleep() -> None:
    endpoint = delaying(Global(TokenBucket(50.0, 1)))(Echo())  # one token every 20 ms
    started = time.monotonic()

    results = await asyncio.gather(*(endpoint(str(i)) for i in range(4)))

    elapsed = time.monotonic() - started
    assert results == ["0", "1", "2", "3"]
    # Three of the four waited for a token: at least 60 ms (less a timer's slack). No upper bound: a busy machine
    # may take any time longer.
    assert elapsed >= 0.055
