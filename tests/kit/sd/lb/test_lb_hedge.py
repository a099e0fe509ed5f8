"""Hedged requests: the hedge delay follows the observed p95, the first answer wins, and hedges and retries come
out of the budget."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kit.endpoint import deadline
from kit.errors import BusinessError, DeadlineExceeded, Unavailable
from kit.sd import FixedEndpointer, InstanceEndpoint
from kit.sd.lb import Budget, Hedge, RetryError, RoundRobin, retry
from support.clock import FakeClock


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


class Instances:
    """Endpoints that answer, raise or hang, by instance; hung calls wait until cancelled. Records what happened."""

    def __init__(self, **behaviour: Any) -> None:
        self.behaviour = {name.replace("_", ":"): what for name, what in behaviour.items()}
        self.calls: list[str] = []
        self.cancelled: list[str] = []
        self.deadlines: list[float | None] = []

    def balancer(self) -> RoundRobin[str, str]:
        return RoundRobin(FixedEndpointer([InstanceEndpoint(i, self._endpoint(i)) for i in sorted(self.behaviour)]))

    def _endpoint(self, instance: str) -> Any:
        async def call(request: str) -> str:
            self.calls.append(instance)
            self.deadlines.append(deadline())
            what = self.behaviour[instance]
            if what == "hang":
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:
                    self.cancelled.append(instance)
                    raise
            if isinstance(what, Exception):
                raise what
            if isinstance(what, float):  # answers after that many seconds, unless cancelled first
                try:
                    await asyncio.sleep(what)
                except asyncio.CancelledError:
                    self.cancelled.append(instance)
                    raise
            return instance

        return call


class Counts:
    def __init__(self) -> None:
        self.retries = 0
        self.hedges = 0

    def retry(self) -> None:
        self.retries += 1

    def hedge(self) -> None:
        self.hedges += 1


def hedged(instances: Instances, counts: Counts, *, budget: Budget | None = None, timeout: float = 5.0) -> Any:
    return retry(
        3,
        timeout,
        instances.balancer(),
        budget=budget,
        hedge=Hedge(delay=0.001),
        on_retry=counts.retry,
        on_hedge=counts.hedge,
    )


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
