"""endpoint_logging: one structured line per request, at a level that fits its outcome, and cheap when off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kit import errors
from kit.endpoint import request_scope
from kit.log import endpoint_logging
from kit.log.direct import direct_handler
from support.clock import FakeClock
from support.logs import Out, lines

OUTCOMES = [
    (errors.BusinessError("integer overflow"), "business", "info"),
    (errors.InvalidArgument("missing field a"), "invalid_argument", "info"),
    (errors.PayloadTooLarge("body too large"), "too_large", "info"),
    (errors.RateLimited("slow down"), "rate_limited", "info"),
    (errors.Unavailable("no trim instance"), "unavailable", "warning"),
    (errors.ConnectionFailed("connection refused"), "unavailable", "warning"),
    (errors.DeadlineExceeded("deadline passed"), "deadline_exceeded", "warning"),
    (errors.Internal("a bug"), "internal", "error"),
    (KeyError("missing"), "internal", "error"),
]


def raising(exc: Exception) -> Callable[[int], Awaitable[int]]:
    async def endpoint(request: int) -> int:
        raise exc

    return endpoint


async def test_a_successful_request_logs_one_info_line_with_every_field(out: Out, clock: FakeClock) -> None:
    out.route()

    async def sum_(request: int) -> int:
        clock.now += 0.25
        return request + 1

    logger = logging.getLogger("addsvc.requests")
    assert (direct_handler(logger, logging.INFO) is not None) is out.direct
    endpoint = endpoint_logging(logger, service="add", method="sum")(sum_)
    with request_scope(request_id="req-1", transport="http"):
        assert await endpoint(1) == 2

    [line] = lines(out)
    del line["ts"]
    assert line == {
        "level": "info",
        "logger": "addsvc.requests",
        "event": "request",
        "service": "add",
        "request_id": "req-1",
        "method": "sum",
        "transport": "http",
        "duration_ms": 250.0,
        "outcome": "ok",
    }


@pytest.mark.parametrize(("exc", "outcome", "level"), OUTCOMES)
async def test_a_failed_request_logs_its_outcome_error_and_level(
    out: Out, clock: FakeClock, exc: Exception, outcome: str, level: str
) -> None:
    out.route()
    endpoint = endpoint_logging(logging.getLogger("req"), service="add", method="concat")(raising(exc))

    with request_scope(request_id="req-2", transport="grpc"), pytest.raises(type(exc)):
        await endpoint(1)

    [line] = lines(out)
    assert (line["outcome"], line["level"], line["error"]) == (outcome, level, str(exc))
    assert (line["method"], line["transport"], line["request_id"]) == ("concat", "grpc", "req-2")
    assert ("exception" in line) is (level == "error")


async def test_an_internal_error_carries_its_traceback(out: Out) -> None:
    out.route()
    endpoint = endpoint_logging(logging.getLogger("req"), service="add", method="sum")(
        raising(errors.Internal("a bug"))
    )

    with pytest.raises(errors.Internal):
        await endpoint(1)

    [line] = lines(out)
    assert "Traceback" in line["exception"]
    assert "kit.errors.Internal: a bug" in line["exception"]


async def test_a_cancelled_request_logs_cancelled_and_stays_cancelled(out: Out) -> None:
    out.route()
    started = asyncio.Event()

    async def forever(request: int) -> int:
        started.set()
        await asyncio.Event().wait()
        return request

    endpoint = endpoint_logging(logging.getLogger("req"), service="add", method="sum")(forever)

    async def call() -> int:
        return await endpoint(1)

    task = asyncio.create_task(call())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    [line] = lines(out)
    assert (line["outcome"], line["level"]) == ("cancelled", "info")
    assert "error" not in line


async def test_outside_a_request_scope_the_transport_is_local_and_there_is_no_request_id(out: Out) -> None:
    out.route()

    async def echo(request: int) -> int:
        return request

    await endpoint_logging(logging.getLogger("req"), service="add", method="sum")(echo)(1)

    [line] = lines(out)
    assert line["transport"] == "local"
    assert "request_id" not in line


class CountingLogger(logging.Logger):
    """A logger that counts the records it builds: building none means a disabled level cost nothing."""

    def __init__(self, level: int) -> None:
        super().__init__("counting", level)
        self.made = 0
        self.propagate = False
        self.addHandler(logging.NullHandler())

    def makeRecord(self, *args: Any, **kwargs: Any) -> logging.LogRecord:  # noqa: N802 - stdlib name
        self.made += 1
        return super().makeRecord(*args, **kwargs)


@pytest.mark.parametrize(
    ("logger_level", "exc", "made"),
    [
        (logging.WARNING, None, 0),
        (logging.WARNING, errors.InvalidArgument("bad"), 0),
        (logging.WARNING, errors.Unavailable("down"), 1),
        (logging.ERROR, errors.Unavailable("down"), 0),
        (logging.ERROR, errors.Internal("bug"), 1),
        (logging.INFO, None, 1),
    ],
)
async def test_a_disabled_level_builds_no_record(logger_level: int, exc: Exception | None, made: int) -> None:
    async def echo(request: int) -> int:
        return request

    logger = CountingLogger(logger_level)
    endpoint = endpoint_logging(logger, service="add", method="sum")(echo if exc is None else raising(exc))

    if exc is None:
        await endpoint(1)
    else:
        with pytest.raises(type(exc)):
            await endpoint(1)

    assert logger.made == made
