"""retry: attempts on distinct instances, one time budget, causes in the error, business errors never retried."""

from __future__ import annotations

import pytest

from kit.errors import (
    BusinessError,
    ConnectionFailed,
    InvalidArgument,
    KitError,
    PayloadTooLarge,
    Unavailable,
)
from kit.sd import FixedEndpointer
from kit.sd.lb import NoEndpoints, RetryError, RoundRobin, retry
from support.script import RecordingBalancer, Script


async def test_first_answer_is_returned_without_retrying() -> None:
    script = Script(a_1=None, b_2=None)
    retries: list[None] = []
    call = retry(3, 5.0, script.round_robin(), on_retry=lambda: retries.append(None))
    assert await call("x") == "a:1 answered x"
    assert script.calls == ["a:1"]
    assert retries == []


async def test_failures_are_retried_on_another_instance() -> None:
    script = Script(a_1=Unavailable("a down"), b_2=None)
    call = retry(3, 5.0, script.round_robin())
    assert await call("x") == "b:2 answered x"
    assert script.calls == ["a:1", "b:2"]


@pytest.mark.parametrize(("max_attempts", "retries_expected"), [(1, 0), (2, 1), (3, 2), (5, 4)])
async def test_attempt_count_and_on_retry(max_attempts: int, retries_expected: int) -> None:
    script = Script(a_1=Unavailable("a down"), b_2=ConnectionFailed("b refused"), c_3=RuntimeError("c bug"))
    retries: list[None] = []
    call = retry(max_attempts, 5.0, script.round_robin(), on_retry=lambda: retries.append(None))
    with pytest.raises(RetryError) as caught:
        await call("x")
    assert len(script.calls) == max_attempts
    assert len(set(script.calls)) == min(max_attempts, 3)
    assert len(caught.value.attempts) == max_attempts
    assert len(retries) == retries_expected


async def test_attempts_go_to_distinct_instances_while_there_are_any() -> None:
    script = Script(a_1=Unavailable("a"), b_2=Unavailable("b"), c_3=Unavailable("c"))
    balancer = RecordingBalancer(script, ["b:2", "a:1", "c:3", "b:2"])
    with pytest.raises(RetryError):
        await retry(4, 5.0, balancer)("x")
    assert balancer.excludes == [set(), {"b:2"}, {"a:1", "b:2"}, {"a:1", "b:2", "c:3"}]


async def test_round_robin_retries_never_revisit_a_failed_instance() -> None:
    script = Script(a_1=Unavailable("a down"), b_2=None)
    balancer = script.round_robin()
    balancer.pick()  # the shared counter now points at b:2 for the next pick, a:1 for the one after
    for _ in range(10):
        balancer.pick({"a:1"})  # other callers moving the counter
    call = retry(3, 5.0, balancer)
    for _ in range(20):
        assert await call("x") == "b:2 answered x"
    assert script.calls.count("b:2") == 20


async def test_single_instance_is_retried() -> None:
    script = Script(a_1=Unavailable("a down"))
    with pytest.raises(RetryError):
        await retry(3, 5.0, script.round_robin())("x")
    assert script.calls == ["a:1", "a:1", "a:1"]


async def test_error_lists_every_attempt_with_its_instance_and_cause() -> None:
    errors = [Unavailable("a down"), ConnectionFailed("b refused"), RuntimeError("c bug")]
    script = Script(a_1=errors[0], b_2=errors[1], c_3=errors[2])
    with pytest.raises(RetryError) as caught:
        await retry(3, 5.0, RecordingBalancer(script, ["a:1", "b:2", "c:3"]))("x")
    error = caught.value
    assert isinstance(error, Unavailable)
    assert error.attempts == tuple(errors)
    assert error.instances == ("a:1", "b:2", "c:3")
    assert error.__cause__ is errors[2]
    assert str(error) == (
        "retries spent after 3 attempts: #1 a:1: Unavailable: a down; #2 b:2: ConnectionFailed: b refused; "
        "#3 c:3: RuntimeError: c bug"
    )


def test_retry_error_without_instances_still_lists_causes() -> None:
    error = RetryError([Unavailable("x"), KeyError()])
    assert str(error) == "retries spent after 2 attempts: #1: Unavailable: x; #2: KeyError"


@pytest.mark.parametrize("error", [BusinessError("overflow"), InvalidArgument("bad a"), PayloadTooLarge("big")])
async def test_business_errors_are_raised_at_once(error: KitError) -> None:
    script = Script(a_1=error, b_2=None)
    retries: list[None] = []
    seen: list[int] = []

    def callback(attempt: int, error: BaseException) -> bool:
        seen.append(attempt)
        return True

    call = retry(
        3,
        5.0,
        script.round_robin(),
        callback=callback,
        on_retry=lambda: retries.append(None),
    )
    with pytest.raises(type(error)) as caught:
        await call("x")
    assert caught.value is error
    assert script.calls == ["a:1"]
    assert retries == []
    assert seen == []


async def test_callback_hears_each_failure_and_can_stop_early() -> None:
    script = Script(a_1=Unavailable("a down"), b_2=Unavailable("b down"), c_3=None)
    heard: list[tuple[int, str]] = []

    def callback(attempt: int, error: BaseException) -> bool:
        heard.append((attempt, str(error)))
        return attempt < 2

    balancer = RecordingBalancer(script, ["a:1", "b:2", "c:3"])
    with pytest.raises(RetryError) as caught:
        await retry(5, 5.0, balancer, callback=callback)("x")
    assert heard == [(1, "a down"), (2, "b down")]
    assert script.calls == ["a:1", "b:2"]
    assert len(caught.value.attempts) == 2


async def test_callback_stopping_at_the_first_failure() -> None:
    script = Script(a_1=Unavailable("a down"), b_2=None)
    with pytest.raises(RetryError) as caught:
        await retry(3, 5.0, script.round_robin(), callback=lambda n, e: False)("x")
    assert script.calls == ["a:1"]
    assert str(caught.value) == "retries spent after 1 attempt: #1 a:1: Unavailable: a down"


async def test_no_endpoints_ends_the_call_as_no_endpoints() -> None:
    with pytest.raises(NoEndpoints) as caught:
        await retry(3, 5.0, RoundRobin(FixedEndpointer[str, str]([])))("x")
    assert type(caught.value) is NoEndpoints
    assert not isinstance(caught.value, RetryError)


async def test_no_endpoints_after_a_failure_names_the_attempts() -> None:
    script = Script(a_1=Unavailable("a down"))
    balancer = RecordingBalancer(script, ["a:1"], raise_after=1)
    retries: list[None] = []
    with pytest.raises(NoEndpoints) as caught:
        await retry(3, 5.0, balancer, on_retry=lambda: retries.append(None))("x")
    assert str(caught.value) == "no endpoints available after #1 a:1: Unavailable: a down"
    assert retries == []


@pytest.mark.parametrize(("max_attempts", "timeout"), [(0, 1.0), (-1, 1.0), (1, 0.0), (1, -2.0)])
def test_bad_options_are_refused(max_attempts: int, timeout: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        retry(max_attempts, timeout, RoundRobin(FixedEndpointer([])))
