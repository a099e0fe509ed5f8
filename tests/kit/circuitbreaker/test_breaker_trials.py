"""The breaker's half-open trials and calls that overlap a change of state: how many trials pass, which verdicts
count, and cancellations (by the caller or by a passed deadline) that are no failure."""

import asyncio

import pytest

from kit.circuitbreaker import State
from kit.endpoint import request_scope
from kit.errors import (
    Unavailable,
)
from support.breaker import Dependency, make, run


class Gate:
    """A dependency whose calls wait until the test lets them finish, to hold trials in flight."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.error: Exception | None = None

    async def __call__(self) -> str:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return "ok"


async def test_half_open_lets_only_half_open_max_trials_through() -> None:
    breaker, clock, states = make(failures=1, half_open_max=2)
    await run(breaker, clock, "fail wait:10")
    gate = Gate()
    trials = [asyncio.create_task(breaker.call(gate)) for _ in range(2)]
    await asyncio.sleep(0)

    with pytest.raises(Unavailable, match="circuit open for trim"):
        await breaker.call(gate)
    assert gate.calls == 2

    gate.release.set()
    assert await asyncio.gather(*trials) == ["ok", "ok"]
    assert breaker.state is State.CLOSED
    assert states == [2, 1, 0]


async def test_a_late_trial_failure_does_not_reopen_a_closed_circuit() -> None:
    breaker, clock, states = make(failures=1, half_open_max=2)
    await run(breaker, clock, "fail wait:10")
    slow = Gate()
    slow.error = Unavailable("down")
    late = asyncio.create_task(breaker.call(slow))
    await asyncio.sleep(0)

    assert await breaker.call(Dependency()) == "ok"
    slow.release.set()
    with pytest.raises(Unavailable, match="down"):
        await late

    assert breaker.state is State.CLOSED
    assert states == [2, 1, 0]


async def test_a_call_begun_while_closed_cannot_close_an_open_circuit() -> None:
    breaker, clock, states = make(failures=1)
    slow = Gate()
    late = asyncio.create_task(breaker.call(slow))
    await asyncio.sleep(0)
    await run(breaker, clock, "fail")

    slow.release.set()
    assert await late == "ok"

    assert breaker.state is State.OPEN
    assert states == [2]


async def test_a_cancelled_trial_frees_its_place_without_a_verdict() -> None:
    breaker, clock, states = make(failures=1)
    await run(breaker, clock, "fail wait:10")
    trial = asyncio.create_task(breaker.call(Gate()))
    await asyncio.sleep(0)
    with pytest.raises(Unavailable):
        await breaker.call(Dependency())

    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial

    assert breaker.state is State.HALF_OPEN
    assert await breaker.call(Dependency()) == "ok"
    assert states == [2, 1, 0]


async def _cancel(task: asyncio.Task[str]) -> None:
    """Cancels `task` once it has started, and sees it end cancelled."""
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_call_cancelled_because_its_deadline_passed_is_no_failure() -> None:
    breaker, _, states = make(failures=1)

    async def cut_short() -> str:
        with request_scope(timeout=0.0):  # the deadline is already here when the cancellation arrives
            return await breaker.call(Gate())

    await _cancel(asyncio.create_task(cut_short()))

    assert breaker.state is State.CLOSED
    assert states == []


async def test_a_call_cancelled_by_its_caller_is_no_failure() -> None:
    breaker, _, states = make(failures=1)
    await _cancel(asyncio.create_task(breaker.call(Gate())))

    assert breaker.state is State.CLOSED
    assert states == []
