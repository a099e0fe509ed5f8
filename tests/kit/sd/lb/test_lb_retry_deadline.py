"""retry within one time budget: each attempt's share, the request's own deadline, a hung instance, cancellation."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from kit.endpoint import deadline, request_scope
from kit.errors import (
    ConnectionFailed,
    DeadlineExceeded,
)
from kit.sd.lb import RetryError, retry
from support.script import Script


async def test_timeout_bounds_all_attempts_and_names_them() -> None:
    script = Script(a_1=ConnectionFailed("a refused"), b_2="hang", c_3="hang")
    # The hung instances never answer: that the call returns at all is the budget bounding it.
    with pytest.raises(DeadlineExceeded) as caught:
        await retry(3, 0.03, script.round_robin())("x")
    assert not isinstance(caught.value, RetryError)
    message = str(caught.value)
    assert message.startswith("deadline exceeded after 0.03 s: ")
    assert "#1 a:1: ConnectionFailed: a refused" in message
    # the second instance hangs through its share of the budget; the last attempt, on the third, has what is left
    # and hangs past it (which of b and c comes first depends on a's ejection shifting the rotation)
    second, third = script.calls[1:]
    assert f"#2 {second}: DeadlineExceeded: no answer within" in message
    assert message.endswith(f"#3 {third}: no answer yet")
    assert sorted(script.calls) == ["a:1", "b:2", "c:3"]


async def test_a_hung_instance_gets_only_its_share_and_another_answers() -> None:
    script = Script(a_1="hang", b_2=None)
    # a never answers: had it held the whole budget, the call would end in DeadlineExceeded, not b's answer.
    assert await retry(3, 0.3, script.round_robin())("x") is not None
    assert script.calls == ["a:1", "b:2"]


async def test_request_deadline_shorter_than_timeout_wins() -> None:
    script = Script(a_1="hang")
    with request_scope(timeout=0.5), pytest.raises(DeadlineExceeded) as caught:
        await retry(3, 60.0, script.round_robin())("x")
    message = str(caught.value)
    # the budget is what is left of the request's 0.5 s when the call starts (a busy machine may have used some),
    # and a third of it is the first attempt's share: nowhere near the retry's own 60 s.
    started = r"deadline exceeded after 0\.[0-5]\d* s: "
    assert re.match(started + r"#1 a:1: DeadlineExceeded: no answer within 0\.[01]\d* s", message), message
    assert message.endswith("#3 a:1: no answer yet")


async def test_spent_request_deadline_makes_no_attempt() -> None:
    script = Script(a_1=None)
    with request_scope(timeout=0), pytest.raises(DeadlineExceeded):
        await retry(3, 5.0, script.round_robin())("x")
    assert script.calls == []


async def test_attempts_see_the_narrowed_deadline_and_the_same_request_id() -> None:
    script = Script(a_1=None)
    with request_scope(request_id="rid-1", timeout=100.0):
        outer = deadline()
        before = time.monotonic()
        await retry(3, 5.0, script.round_robin())("x")
    assert outer is not None
    (inner, rid) = script.seen[0]
    assert rid == "rid-1"
    assert inner is not None
    assert inner <= before + 5.0 + 0.5
    assert inner < outer


async def test_an_endpoint_raising_timeout_error_is_a_failed_attempt_not_the_deadline() -> None:
    script = Script(a_1=TimeoutError("read timed out"), b_2=None)
    assert await retry(3, 5.0, script.round_robin())("x") == "b:2 answered x"


async def test_caller_cancellation_is_not_turned_into_an_error() -> None:
    script = Script(a_1="hang")
    call = retry(3, 60.0, script.round_robin())

    async def run() -> Any:
        return await call("x")

    task = asyncio.create_task(run())
    for _ in range(3):  # bounded: the first attempt starts within a few loop turns
        await asyncio.sleep(0)
    assert script.calls == ["a:1"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
