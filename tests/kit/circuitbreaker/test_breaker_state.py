"""The breaker's states: closed, open and half-open, what counts as a failure, and its settings."""

import pytest

from kit import errors
from kit.circuitbreaker import Breaker, State
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
    dependency.error = errors.ConnectionFailed("refused")
    with pytest.raises(errors.ConnectionFailed):
        await breaker.call(dependency)

    for _ in range(5):
        with pytest.raises(errors.Unavailable, match=r"^circuit open for trim$") as info:
            await breaker.call(dependency)
        assert type(info.value) is errors.Unavailable

    assert dependency.calls == 1


async def test_the_dependency_answer_passes_through() -> None:
    breaker, _, _ = make()

    assert await breaker.call(Dependency()) == "ok"


@pytest.mark.parametrize("error", [errors.Unavailable("down"), errors.Internal("bug"), RuntimeError("boom")])
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
    dependency.error = errors.ConnectionFailed("refused")

    with pytest.raises(errors.ConnectionFailed):
        await breaker.call(dependency)

    assert breaker.state is State.OPEN
    assert states == [2]


@pytest.mark.parametrize(
    "error",
    [
        errors.BusinessError("integer overflow"),
        errors.InvalidArgument("bad"),
        errors.PayloadTooLarge("big"),
        errors.DeadlineExceeded("late"),
        TimeoutError(),
        errors.RateLimited(),
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
    dependency.error = errors.BusinessError("integer overflow")

    with pytest.raises(errors.BusinessError):
        await breaker.call(dependency)

    assert breaker.state is State.CLOSED
    assert states == [2, 1, 0]


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
