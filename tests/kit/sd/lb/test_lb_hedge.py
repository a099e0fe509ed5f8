"""Hedged requests: the hedge delay follows the observed p95, the first answer wins and the others are cancelled,
and no hedge goes out while the caller says it is too busy."""

from __future__ import annotations

import asyncio

import pytest

from kit.errors import BusinessError, Unavailable
from kit.sd.lb import Hedge, RetryError, retry
from support.hedged import Counts, Instances, hedged


def test_hedge_delay_follows_the_observed_p95_within_bounds() -> None:
    hedge = Hedge(min_delay=0.002, max_delay=0.1)
    assert hedge.delay() == 0.1  # until enough answers were seen
    for i in range(256):
        hedge.observe((i % 100 + 1) / 10_000)  # 0.1 ms .. 10 ms, evenly
    assert hedge.delay() == pytest.approx(0.0096, abs=0.0002)
    for _ in range(256):
        hedge.observe(0.0001)
    assert hedge.delay() == 0.002  # never below min_delay
    for _ in range(256):
        hedge.observe(1.0)
    assert hedge.delay() == 0.1  # never above max_delay


def test_a_fixed_hedge_delay_stays() -> None:
    hedge = Hedge(delay=0.02)
    for _ in range(512):
        hedge.observe(0.5)
    assert hedge.delay() == 0.02


async def test_a_hung_first_attempt_is_hedged_and_the_hedge_wins() -> None:
    instances = Instances(a_1="hang", b_2=None)
    counts = Counts()
    assert await hedged(instances, counts)("x") == "b:2"
    await asyncio.sleep(0)
    assert instances.calls == ["a:1", "b:2"]
    assert instances.cancelled == ["a:1"]  # the loser is cancelled, so no call outlives the request
    assert (counts.retries, counts.hedges) == (1, 1)


async def test_a_quick_answer_sends_no_hedge() -> None:
    instances = Instances(a_1=None, b_2=None)
    counts = Counts()
    call = retry(3, 5.0, instances.balancer(), hedge=Hedge(delay=60.0), on_hedge=counts.hedge)
    assert [await call("x") for _ in range(4)] == ["a:1", "b:2", "a:1", "b:2"]
    assert counts.hedges == 0


async def test_a_failed_attempt_is_retried_while_the_hedge_timer_runs() -> None:
    instances = Instances(a_1=Unavailable("a down"), b_2=None)
    counts = Counts()
    call = retry(3, 5.0, instances.balancer(), hedge=Hedge(delay=60.0), on_retry=counts.retry, on_hedge=counts.hedge)
    assert await call("x") == "b:2"
    assert (counts.retries, counts.hedges) == (1, 0)


async def test_every_attempt_failing_gives_a_retry_error_naming_them() -> None:
    instances = Instances(a_1=Unavailable("a down"), b_2=Unavailable("b down"), c_3=Unavailable("c down"))
    with pytest.raises(
        RetryError, match=r"^retries spent after 3 attempts: #1 a:1: Unavailable: a down; #2 "
    ) as caught:
        await hedged(instances, Counts())("x")
    assert sorted(caught.value.instances) == ["a:1", "b:2", "c:3"]


async def test_a_business_error_ends_the_call_and_cancels_the_others() -> None:
    instances = Instances(a_1="hang", b_2=BusinessError("integer overflow"))
    with pytest.raises(BusinessError):
        await hedged(instances, Counts())("x")
    await asyncio.sleep(0)
    assert instances.cancelled == ["a:1"]


async def test_no_hedge_is_sent_while_the_caller_says_it_is_too_busy() -> None:
    busy = True
    instances = Instances(a_1=0.05, b_2=0.05)  # both answer, slowly
    counts = Counts()
    call = retry(
        3,
        5.0,
        instances.balancer(),
        hedge=Hedge(delay=0.001, when=lambda: not busy),
        on_retry=counts.retry,
        on_hedge=counts.hedge,
    )
    assert await call("x") == "a:1"  # waited for the slow answer: no second call while busy
    assert (instances.calls, counts.hedges) == (["a:1"], 0)
    busy = False
    assert await call("x") in {"a:1", "b:2"}
    assert counts.hedges >= 1  # the next call, with the caller keeping up, is hedged as before
