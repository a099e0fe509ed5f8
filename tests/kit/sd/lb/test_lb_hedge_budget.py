"""Hedged requests and the retry budget: hedges and retries come out of it, an attempt keeps the call's whole time when
no other may follow, and a hedge the budget refused does not forbid a later retry."""

from __future__ import annotations

import asyncio
import time

import pytest

from kit.errors import DeadlineExceeded, Unavailable
from kit.sd.lb import Budget, RetryError, retry
from support.clock import FakeClock
from support.hedged import Counts, Instances, hedged


async def test_hedges_come_out_of_the_budget() -> None:
    budget = Budget(ratio=0.0, per_second=0.0, clock=FakeClock())  # nothing to spend
    instances = Instances(a_1="hang", b_2=None)
    counts = Counts()
    with pytest.raises(DeadlineExceeded):
        await hedged(instances, counts, budget=budget, timeout=0.05)("x")
    assert instances.calls == ["a:1"]
    assert counts.hedges == 0


async def test_without_budget_left_a_failure_is_not_retried() -> None:
    budget = Budget(ratio=0.0, per_second=0.0, clock=FakeClock())
    instances = Instances(a_1=Unavailable("a down"), b_2=None)
    with pytest.raises(RetryError, match=r"^retry budget spent after 1 attempt: #1 a:1: Unavailable: a down$"):
        await retry(3, 5.0, instances.balancer(), budget=budget)("x")
    assert instances.calls == ["a:1"]


async def test_without_budget_left_the_attempt_under_way_keeps_all_the_time() -> None:
    # 3 attempts in 0.3 s: a share is 0.1 s, and a:1 answers after 0.15 s. With no budget for another attempt,
    # cutting a:1 at its share would only fail the call sooner: it is left to answer.
    budget = Budget(ratio=0.0, per_second=0.0, clock=FakeClock())
    instances = Instances(a_1=0.15, b_2=None)
    assert await retry(3, 0.3, instances.balancer(), budget=budget)("x") == "a:1"
    assert instances.calls == ["a:1"] and instances.cancelled == []


async def test_a_budget_spent_while_the_attempt_is_under_way_leaves_it_all_the_time() -> None:
    # The budget allows one retry when a:1 starts; other calls spend it meanwhile. Cut at its share, a:1 could not
    # be followed by another attempt: it keeps the call's time and answers.
    budget = Budget(ratio=0.0, per_second=0.1, window=10.0, clock=FakeClock())  # one extra attempt in all
    instances = Instances(a_1=0.15, b_2=None)
    endpoint = retry(3, 0.3, instances.balancer(), budget=budget)

    async def one() -> str:
        return await endpoint("x")

    call = asyncio.create_task(one())
    await asyncio.sleep(0.05)
    assert budget.spend()  # another call takes the last retry
    assert await call == "a:1"
    assert instances.calls == ["a:1"] and instances.cancelled == []


async def test_with_budget_left_a_slow_attempt_is_cut_at_its_share_for_another_instance() -> None:
    instances = Instances(a_1=0.15, b_2=None)
    assert await retry(3, 0.3, instances.balancer())("x") == "b:2"
    assert instances.calls == ["a:1", "b:2"] and instances.cancelled == ["a:1"]


async def test_the_instance_is_given_the_calls_whole_deadline() -> None:
    # A cut is a cancellation the instance hears; its deadline is the caller's, not the attempt's share.
    instances = Instances(a_1=None)
    start = time.monotonic()
    await retry(3, 5.0, instances.balancer())("x")
    (given,) = instances.deadlines
    assert given is not None and given - start > 4.0


async def test_going_back_to_the_only_instance_waits_a_little_each_time() -> None:
    instances = Instances(a_1=Unavailable("busy"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RetryError):
        await retry(3, 5.0, instances.balancer())("x")
    assert instances.calls == ["a:1", "a:1", "a:1"]
    # 10 ms before the second attempt and 20 ms before the third: at least 30 ms in all (more on a busy machine).
    assert loop.time() - started >= 0.03


async def test_a_hedge_the_budget_refused_does_not_forbid_a_retry_once_the_budget_has_room() -> None:
    # Half an extra attempt per call: after two calls and one extra attempt spent, this call (the third) leaves no
    # room when its hedge is due; a fourth call makes room: the hung first attempt is then cut at its share (0.1 s
    # of 0.3 s) and retried on another instance.
    budget = Budget(ratio=0.5, per_second=0.0, clock=FakeClock())
    budget.call()
    budget.call()
    assert budget.spend()
    instances = Instances(a_1="hang", b_2=None)
    counts = Counts()
    endpoint = hedged(instances, counts, budget=budget, timeout=0.3)

    async def one() -> str:
        result: str = await endpoint("x")
        return result

    call = asyncio.create_task(one())
    await asyncio.sleep(0.05)  # the hedge was due after 1 ms and refused
    assert counts.hedges == 0
    budget.call()  # room again
    assert await call == "b:2"
    assert instances.calls == ["a:1", "b:2"] and counts.hedges == 0
