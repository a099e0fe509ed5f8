"""endpoint_logging's direct way: with the kit's JSON handler the only place a line can go, the request line is
written straight to its stream, exactly as structlog would have written it."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from kit.endpoint import request_scope
from kit.errors import (
    InvalidArgument,
    Unavailable,
)
from kit.log import configure, endpoint_logging
from kit.log.direct import direct_handler
from support.clock import FakeClock
from support.logs import Listening, kit_handler_alone, lines


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
