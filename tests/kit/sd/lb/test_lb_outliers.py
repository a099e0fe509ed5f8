"""Outliers: failing and slow instances are avoided, never all of them, and a deadline never opens a circuit."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from kit.circuitbreaker import State
from kit.errors import ConnectionFailed, DeadlineExceeded, Internal, RateLimited, Unavailable
from kit.sd import FixedEndpointer, InstanceEndpoint
from kit.sd.lb import BreakerSettings, Outliers, RoundRobin
from support.clock import FakeClock

A, B = "a:1", "b:2"


class Fleet:
    """Two instances behind Outliers and a RoundRobin; each answers, fails or hangs as the test says."""

    def __init__(self, **options: Any) -> None:
        self.clock = FakeClock()
        self.states: list[tuple[str, int]] = []
        self.outliers = Outliers("trim", clock=self.clock, on_state=lambda i, s: self.states.append((i, s)), **options)
        self.behaviour: dict[str, BaseException | float | str | None] = {A: None, B: None}
        self.gates: dict[str, asyncio.Event] = {A: asyncio.Event(), B: asyncio.Event()}
        self.watched = {i: self.outliers.watch(i) for i in (A, B)}
        endpoints = [InstanceEndpoint(i, self.watched[i].middleware(self._endpoint(i))) for i in (A, B)]
        self.endpointer = FixedEndpointer(endpoints)
        self.balancer = RoundRobin(self.endpointer, outliers=self.outliers)

    def _endpoint(self, instance: str) -> Any:
        async def endpoint(request: str) -> str:
            behaviour = self.behaviour[instance]
            if isinstance(behaviour, BaseException):
                raise behaviour
            if behaviour == "hang":
                await self.gates[instance].wait()
            elif isinstance(behaviour, float):
                self.clock.advance(behaviour)  # the answer takes this long
            return instance

        return endpoint

    async def call(self) -> str:
        chosen = self.balancer.pick()
        try:
            answer: str = await chosen.endpoint("x")
        except Exception as exc:
            return f"{chosen.instance} {type(exc).__name__}"
        else:
            return answer
        finally:
            took = self.behaviour[chosen.instance]
            if isinstance(took, float):
                self.clock.advance(-took)  # recorded as slow, but it ran beside the other calls, not before them

    async def calls(self, count: int) -> Counter[str]:
        return Counter([await self.call() for _ in range(count)])


async def test_healthy_instances_share_the_calls() -> None:
    fleet = Fleet()
    assert await fleet.calls(10) == {A: 5, B: 5}


async def test_an_unreachable_instance_is_avoided_after_its_first_refusal() -> None:
    fleet = Fleet()
    fleet.behaviour[B] = ConnectionFailed("refused")
    assert await fleet.calls(10) == {A: 9, "b:2 ConnectionFailed": 1}
    assert fleet.outliers.state(B) is State.OPEN
    assert fleet.states == [(B, 2)]


async def test_a_trial_goes_out_soon_and_the_instance_returns_when_it_answers() -> None:
    fleet = Fleet()
    fleet.behaviour[B] = ConnectionFailed("refused")
    await fleet.calls(2)
    fleet.behaviour[B] = None
    fleet.clock.advance(0.25)
    assert await fleet.calls(4) == {A: 2, B: 2}
    assert fleet.states == [(B, 2), (B, 1), (B, 0)]


async def test_the_wait_grows_while_trials_fail() -> None:
    fleet = Fleet(breaker=BreakerSettings(wait=0.25, max_wait=5.0))
    fleet.behaviour[B] = ConnectionFailed("refused")
    await fleet.calls(2)
    trials = 0
    for _ in range(100):  # 10 s in steps of 0.1 s
        fleet.clock.advance(0.1)
        trials += (await fleet.calls(2))["b:2 ConnectionFailed"]
    # Trials after 0.25, 0.5, 1, 2, 4, 5 s of waiting: 6 in about 13 s, 5 of them within these 10 s.
    assert trials == 5


@pytest.mark.parametrize("error", [Unavailable("down"), Internal("bug")])
async def test_repeated_instance_errors_open_its_circuit(error: Exception) -> None:
    fleet = Fleet(breaker=BreakerSettings(failures=3))
    fleet.behaviour[B] = error
    await fleet.calls(6)  # three reach B
    assert fleet.outliers.state(B) is State.OPEN
    assert (await fleet.calls(4))[A] == 4


@pytest.mark.parametrize("error", [DeadlineExceeded("late"), TimeoutError(), RateLimited()])
async def test_deadlines_and_rate_limits_never_open_a_circuit(error: Exception) -> None:
    # A deadline may be the caller's small budget or the caller starved of CPU: not the instance's fault.
    fleet = Fleet(breaker=BreakerSettings(failures=1))
    fleet.behaviour[A] = fleet.behaviour[B] = error
    await fleet.calls(50)
    assert fleet.outliers.state(A) is State.CLOSED
    assert fleet.outliers.state(B) is State.CLOSED
    assert fleet.states == []


async def test_when_every_circuit_is_open_every_instance_is_used_anyway() -> None:
    fleet = Fleet()
    fleet.behaviour[A] = fleet.behaviour[B] = ConnectionFailed("refused")
    await fleet.calls(2)
    assert fleet.outliers.state(A) is fleet.outliers.state(B) is State.OPEN
    fleet.behaviour[A] = fleet.behaviour[B] = None
    # Panic: no instance is admitted, so the call goes out as if none were avoided; its answer closes A's circuit,
    # and B's trial follows its own short wait.
    assert await fleet.call() == A
    assert fleet.outliers.state(A) is State.CLOSED
    assert await fleet.calls(4) == {A: 4}
    fleet.clock.advance(0.25)
    assert await fleet.calls(4) == {A: 2, B: 2}
    assert fleet.outliers.state(B) is State.CLOSED


async def test_a_slow_instance_is_avoided_but_probed() -> None:
    fleet = Fleet(slow_after=0.05, probe_every=0.2)
    fleet.behaviour[A] = 0.001
    fleet.behaviour[B] = 0.2
    first = await fleet.calls(2)
    assert first == {A: 1, B: 1}
    # B answered in 200 ms, A in 1 ms: B gets one call per probe interval from now on, and no circuit opens.
    counts: Counter[str] = Counter()
    for _ in range(10):
        fleet.clock.advance(0.05)
        counts += await fleet.calls(10)
    assert 2 <= counts[B] <= 4  # 0.5 s at one probe per 0.2 s
    assert counts[A] == 100 - counts[B]
    assert fleet.outliers.state(B) is State.CLOSED


async def test_a_slow_instance_returns_once_its_probes_are_fast() -> None:
    fleet = Fleet(slow_after=0.05, probe_every=0.2)
    fleet.behaviour[A] = 0.001
    fleet.behaviour[B] = 0.5
    await fleet.calls(2)
    fleet.behaviour[B] = 0.001
    for _ in range(6):  # each fast probe halves B's remembered latency: 500 -> 250 -> 125 -> 62 -> 31 ms
        fleet.clock.advance(0.2)
        await fleet.calls(2)
    assert await fleet.calls(10) == {A: 5, B: 5}


async def test_when_every_instance_is_slow_none_is_avoided() -> None:
    # A caller starved of CPU sees every instance slow: the yardstick is the fastest instance, so none stands out.
    fleet = Fleet(slow_after=0.05)
    fleet.behaviour[A] = fleet.behaviour[B] = 0.3
    assert await fleet.calls(10) == {A: 5, B: 5}


async def test_an_instance_that_stopped_answering_is_avoided_while_another_answers() -> None:
    fleet = Fleet(slow_after=0.05)
    fleet.behaviour[B] = "hang"
    assert await fleet.call() == A
    stuck = asyncio.create_task(fleet.call())  # B's turn: it hangs
    await asyncio.sleep(0)
    fleet.clock.advance(0.1)  # B has had a call in flight for 100 ms without answering
    assert await fleet.calls(6) == {A: 6}
    fleet.gates[B].set()
    assert await stuck == B


async def test_an_instance_that_left_and_came_back_starts_afresh() -> None:
    fleet = Fleet()
    fleet.behaviour[B] = ConnectionFailed("refused")
    await fleet.calls(2)
    old = fleet.watched[B]
    fleet.watched[B] = fleet.outliers.watch(B)  # it came back: a new endpoint, a new record
    old.forget()  # the old endpoint's closer runs late: the new record stays
    fleet.behaviour[B] = None
    assert fleet.outliers.state(B) is State.CLOSED
    endpoints = [InstanceEndpoint(i, fleet.watched[i].middleware(fleet._endpoint(i))) for i in (A, B)]
    fleet.balancer = RoundRobin(FixedEndpointer(endpoints), outliers=fleet.outliers)
    assert await fleet.calls(4) == {A: 2, B: 2}
    fleet.watched[B].forget()
    assert fleet.outliers.state(B) is State.CLOSED  # forgotten: nothing known, nothing avoided


async def test_when_none_is_admitted_a_slow_instance_beats_an_unreachable_one() -> None:
    fleet = Fleet(slow_after=0.05)
    fleet.behaviour[A] = ConnectionFailed("refused")
    fleet.behaviour[B] = 0.3
    await fleet.calls(2)  # A's circuit opens; B answered in 300 ms
    fleet.behaviour[A] = None  # (A would answer now, but its circuit waits)
    # B is slow against the floor and A is open: nobody is admitted, and B, reachable, takes the calls.
    assert await fleet.calls(4) == {B: 4}
