import asyncio

import pytest

from kit.circuitbreaker import Breaker, State
from kit.endpoint import request_scope
from kit.errors import (
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
)
from support.breaker import Dependency, make, run


@pytest.mark.parametrize(
    ("script", "state", "transitions"),
    [
        ("", State.CLOSED, []),
        ("fail fail", State.CLOSED, []),
        ("fail fail fail", State.OPEN, [2]),
        ("fail fail ok fail fail", State.CLOSED, []),
        ("fail fail fail wait:9.9", State.OPEN, [2]),
        ("fail fail fail wait:10", State.HALF_OPEN, [2, 1]),
        ("fail fail fail wait:10 ok", State.CLOSED, [2, 1, 0]),
        ("fail fail fail wait:10 fail", State.OPEN, [2, 1, 2]),
        ("fail fail fail wait:10 fail wait:9.9", State.OPEN, [2, 1, 2]),
        ("fail fail fail wait:10 fail wait:10 ok", State.CLOSED, [2, 1, 2, 1, 0]),
        ("fail fail fail wait:10 ok fail fail", State.CLOSED, [2, 1, 0]),
        ("fail fail fail wait:10 ok fail fail fail", State.OPEN, [2, 1, 0, 2]),
        ("fail fail fail wait:5 ok ok wait:5 ok", State.CLOSED, [2, 1, 0]),
    ],
)
async def test_transitions(script: str, state: State, transitions: list[int]) -> None:
    breaker, clock, states = make()

    await run(breaker, clock, script)

    assert breaker.state is state
    assert states == transitions


async def test_an_open_circuit_fails_fast_without_calling_the_dependency() -> None:
    breaker, _, _ = make(failures=1)
    dependency = Dependency()
    dependency.error = ConnectionFailed("refused")
    with pytest.raises(ConnectionFailed):
        await breaker.call(dependency)

    for _ in range(5):
        with pytest.raises(Unavailable, match=r"^circuit open for trim$") as info:
            await breaker.call(dependency)
        assert type(info.value) is Unavailable

    assert dependency.calls == 1


async def test_the_dependency_answer_passes_through() -> None:
    breaker, _, _ = make()

    assert await breaker.call(Dependency()) == "ok"


@pytest.mark.parametrize("error", [Unavailable("down"), Internal("bug"), RuntimeError("boom")])
async def test_instance_failures_count(error: Exception) -> None:
    breaker, _, states = make(failures=2)
    dependency = Dependency()
    dependency.error = error

    for _ in range(2):
        with pytest.raises(type(error)):
            await breaker.call(dependency)

    assert breaker.state is State.OPEN
    assert states == [2]


async def test_an_unreachable_instance_opens_the_circuit_at_once() -> None:
    breaker, _, states = make(failures=5)
    dependency = Dependency()
    dependency.error = ConnectionFailed("refused")

    with pytest.raises(ConnectionFailed):
        await breaker.call(dependency)

    assert breaker.state is State.OPEN
    assert states == [2]


@pytest.mark.parametrize(
    "error",
    [
        BusinessError("integer overflow"),
        InvalidArgument("bad"),
        PayloadTooLarge("big"),
        DeadlineExceeded("late"),
        TimeoutError(),
        RateLimited(),
    ],
)
async def test_errors_that_say_nothing_of_the_instance_do_not_count(error: Exception) -> None:
    # A business error or a bad request is the caller's answer; a deadline that ran out may be the caller's own
    # small budget or starved CPU; a rate limit is the instance saying "later", alive and well.
    breaker, _, states = make(failures=2)
    dependency = Dependency()
    dependency.error = error

    for _ in range(5):
        with pytest.raises(type(error)) as info:
            await breaker.call(dependency)
        assert info.value is error

    assert breaker.state is State.CLOSED
    assert dependency.calls == 5
    assert states == []


async def test_a_business_error_from_a_half_open_trial_closes_the_circuit() -> None:
    breaker, clock, states = make(failures=1)
    await run(breaker, clock, "fail wait:10")
    dependency = Dependency()
    dependency.error = BusinessError("integer overflow")

    with pytest.raises(BusinessError):
        await breaker.call(dependency)

    assert breaker.state is State.CLOSED
    assert states == [2, 1, 0]


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


async def test_a_call_cancelled_because_its_deadline_passed_is_no_failure() -> None:
    breaker, _, states = make(failures=1)

    async def cut_short() -> str:
        with request_scope(timeout=0.0):  # the deadline is already here when the cancellation arrives
            return await breaker.call(Gate())

    task = asyncio.create_task(cut_short())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert breaker.state is State.CLOSED
    assert states == []


async def test_a_call_cancelled_by_its_caller_is_no_failure() -> None:
    breaker, _, states = make(failures=1)
    task = asyncio.create_task(breaker.call(Gate()))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert breaker.state is State.CLOSED
    assert states == []


@pytest.mark.parametrize(
    ("failures", "wait", "max_wait", "half_open_max", "message"),
    [
        (0, 1.0, 5.0, 1, "failures"),
        (1, 0.0, 5.0, 1, "wait"),
        (1, -1.0, 5.0, 1, "wait"),
        (1, 6.0, 5.0, 1, "max_wait"),
        (1, 1.0, 5.0, 0, "half_open_max"),
    ],
)
def test_bad_settings_are_refused(
    failures: int, wait: float, max_wait: float, half_open_max: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Breaker("x", failures=failures, wait=wait, max_wait=max_wait, half_open_max=half_open_max)
