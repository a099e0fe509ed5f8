"""endpoint_logging: one structured line per request, at a level that fits its outcome, and cheap when off."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import structlog

import kit.log.middleware as middleware_module
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
from kit.log import configure, endpoint_logging
from kit.log.direct import KitHandler, direct_handler
from support.clock import FakeClock

OUTCOMES = [
    (BusinessError("integer overflow"), "business", "info"),
    (InvalidArgument("missing field a"), "invalid_argument", "info"),
    (PayloadTooLarge("body too large"), "too_large", "info"),
    (RateLimited("slow down"), "rate_limited", "info"),
    (Unavailable("no trim instance"), "unavailable", "warning"),
    (ConnectionFailed("connection refused"), "unavailable", "warning"),
    (DeadlineExceeded("deadline passed"), "deadline_exceeded", "warning"),
    (Internal("a bug"), "internal", "error"),
    (KeyError("missing"), "internal", "error"),
]


class Listening(logging.Handler):
    """Another handler on the root logger: with it there, request lines must take the ordinary way to reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Out(io.StringIO):
    """Where the request lines go. pytest puts its capture handlers on the root logger only while a test body
    runs, so a test calls `route()` first: in the `direct` mode it takes them off again, leaving the kit's JSON
    handler alone so lines are written directly; otherwise another handler stays and lines take the stdlib."""

    def __init__(self, direct: bool) -> None:
        super().__init__()
        self.direct = direct

    def route(self) -> None:
        if self.direct:
            kit_handler_alone()


def kit_handler_alone() -> None:
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if isinstance(h, KitHandler)]


@pytest.fixture(params=["direct", "through structlog"])
def out(request: pytest.FixtureRequest) -> Iterator[Out]:
    """Every test using it must see the same lines both ways."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = Out(direct=request.param == "direct")
    if not stream.direct:
        root.addHandler(Listening())
    configure(service="add", stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def alone() -> Iterator[None]:
    """Puts the root logger back after a test that takes handlers off it (see `kit_handler_alone`)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(50.0)
    monkeypatch.setattr(middleware_module, "perf_counter", fake)
    return fake


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


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
    endpoint = endpoint_logging(logging.getLogger("req"), service="add", method="sum")(raising(Internal("a bug")))

    with pytest.raises(Internal):
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
        (logging.WARNING, InvalidArgument("bad"), 0),
        (logging.WARNING, Unavailable("down"), 1),
        (logging.ERROR, Unavailable("down"), 0),
        (logging.ERROR, Internal("bug"), 1),
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


async def served(logger: logging.Logger, exc: Exception | None = None) -> None:
    async def echo(request: int) -> int:
        if exc is not None:
            raise exc
        return request

    endpoint = endpoint_logging(logger, service="add", method="sum")(echo)
    with request_scope(request_id="req-9", transport="http"):
        if exc is None:
            await endpoint(1)
        else:
            with pytest.raises(type(exc)):
                await endpoint(1)


def without_ts(text: str) -> list[str]:
    return [line.split(",", 1)[1] for line in text.splitlines()]


@pytest.mark.parametrize("exc", [None, Unavailable("down"), InvalidArgument("bad")])
async def test_a_direct_line_is_the_line_structlog_would_write(
    alone: None, clock: FakeClock, exc: Exception | None
) -> None:
    direct, chained = io.StringIO(), io.StringIO()
    configure(service="add", stream=direct)
    kit_handler_alone()
    assert direct_handler(logging.getLogger("addsvc"), logging.INFO) is not None
    await served(logging.getLogger("addsvc"), exc)
    configure(service="add", stream=chained)
    other = Listening()
    logging.getLogger().addHandler(other)
    await served(logging.getLogger("addsvc"), exc)

    assert len(other.records) == 1  # the second line did go through the stdlib
    assert without_ts(direct.getvalue()) == without_ts(chained.getvalue())
    assert direct.getvalue().startswith('{"ts":"')
    assert direct.getvalue().split(",", 1)[0].endswith('Z"')


async def test_a_direct_line_carries_contextvars_bound_with_structlog(alone: None, clock: FakeClock) -> None:
    out = io.StringIO()
    configure(service="add", stream=out)
    kit_handler_alone()
    structlog.contextvars.bind_contextvars(tenant="acme")

    await served(logging.getLogger("addsvc"))

    [line] = lines(out)
    assert line["tenant"] == "acme"
    assert list(line)[:6] == ["ts", "level", "logger", "event", "service", "request_id"]


class Recording(logging.Filter):
    """A filter that lets every record through and keeps it: a line that skipped the stdlib never gets here."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.seen.append(record.getMessage())
        return True


def test_the_direct_way_is_taken_only_when_the_kit_json_handler_is_all_a_line_reaches(alone: None) -> None:
    root = logging.getLogger()
    logger = logging.getLogger("addsvc.direct")
    configure(service="add", stream=io.StringIO())
    kit_handler_alone()
    [handler] = root.handlers
    assert direct_handler(logger, logging.INFO) is handler
    assert direct_handler(logger, logging.DEBUG) is None  # the level is off

    handler.addFilter(filtering := Recording())
    assert direct_handler(logger, logging.INFO) is None
    handler.removeFilter(filtering)

    logger.addHandler(logging.NullHandler())
    assert direct_handler(logger, logging.INFO) is None
    logger.propagate = False
    assert direct_handler(logger, logging.INFO) is None  # the only handler is not the kit's
    logger.handlers.clear()
    logger.propagate = True

    configure(service="add", fmt="console", stream=io.StringIO())
    assert direct_handler(logger, logging.INFO) is None


async def test_a_console_line_goes_through_structlog(alone: None) -> None:
    out = io.StringIO()
    configure(service="add", fmt="console", stream=out)
    kit_handler_alone()

    await served(logging.getLogger("addsvc"))

    assert not out.getvalue().startswith("{")
    assert "[info" in out.getvalue()
    assert "request_id=req-9" in out.getvalue()
    assert "outcome=ok" in out.getvalue()


class Broken(io.StringIO):
    """A stream whose every write fails, as on a full disk."""

    def write(self, text: str) -> int:
        raise OSError("disk full")


async def test_a_line_that_cannot_be_written_does_not_fail_the_request(
    alone: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", True)
    configure(service="add", stream=Broken())
    kit_handler_alone()

    await served(logging.getLogger("addsvc"))

    assert "disk full" in capsys.readouterr().err
