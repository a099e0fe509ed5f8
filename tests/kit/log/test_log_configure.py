"""configure/from_env: one JSON (or console) format for stdlib and structlog lines, installed idempotently."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime
from typing import Any

import pytest
import structlog

from kit.endpoint import request_scope
from kit.log import configure

pytestmark = pytest.mark.usefixtures("restore_logging")


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_stdlib_line_comes_out_as_one_json_object() -> None:
    out = io.StringIO()
    configure(service="add", stream=out)

    logging.getLogger("some.library").info("connected to %s", "consul", extra={"attempt": 2})

    [line] = lines(out)
    assert list(line)[:5] == ["ts", "level", "logger", "event", "service"]
    assert datetime.fromisoformat(line.pop("ts")).utcoffset() is not None
    assert line == {
        "level": "info",
        "logger": "some.library",
        "event": "connected to consul",
        "service": "add",
        "attempt": 2,
    }


def test_a_structlog_line_comes_out_in_the_same_format() -> None:
    out = io.StringIO()
    configure(service="trim", stream=out)

    structlog.get_logger("trimsvc.main").warning("listening", port=8975, tags=["grpc", "http"])

    [line] = lines(out)
    del line["ts"]
    assert line == {
        "level": "warning",
        "logger": "trimsvc.main",
        "event": "listening",
        "service": "trim",
        "port": 8975,
        "tags": ["grpc", "http"],
    }


def test_lines_inside_a_request_scope_carry_its_request_id() -> None:
    out = io.StringIO()
    configure(service="add", stream=out)
    logger = logging.getLogger("addsvc.service")

    logger.info("before")
    with request_scope(request_id="req-42"):
        logger.info("inside")
        structlog.get_logger("addsvc").info("inside too")
    logger.info("after")

    assert [line.get("request_id") for line in lines(out)] == [None, "req-42", "req-42", None]


def test_an_exception_is_rendered_into_the_json_line() -> None:
    out = io.StringIO()
    configure(service="add", stream=out)

    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        logging.getLogger("addsvc").exception("it broke")

    [line] = lines(out)
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]
    assert "RuntimeError: kaboom" in line["exception"]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("DEBUG", ["debug", "info", "warning", "error"]),
        ("INFO", ["info", "warning", "error"]),
        ("warning", ["warning", "error"]),
        ("ERROR", ["error"]),
    ],
)
def test_the_level_filters_stdlib_and_structlog_lines(level: str, expected: list[str]) -> None:
    out = io.StringIO()
    configure(service="add", level=level, stream=out)

    for name in ["debug", "info", "warning", "error"]:
        getattr(logging.getLogger("std"), name)(name)
        getattr(structlog.get_logger("struct"), name)(name)

    assert [line["level"] for line in lines(out)] == [lvl for lvl in expected for _ in range(2)]


def test_configuring_twice_replaces_the_handler_instead_of_adding_one() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure(service="add", stream=first)
    configure(service="add", stream=second)

    logging.getLogger("x").info("once")
    structlog.get_logger("y").info("once too")

    assert first.getvalue() == ""
    assert [line["event"] for line in lines(second)] == ["once", "once too"]


def test_handlers_that_are_not_the_kits_are_left_alone() -> None:
    mine = logging.Handler()
    logging.getLogger().addHandler(mine)

    configure(service="add", stream=io.StringIO())
    configure(service="add", stream=io.StringIO())

    assert mine in logging.getLogger().handlers


def test_the_console_format_is_readable_and_colourless_off_a_tty() -> None:
    out = io.StringIO()
    configure(service="add", fmt="console", stream=out)

    logging.getLogger("addsvc.main").info("listening", extra={"port": 8080})
    with request_scope(request_id="req-7"):
        structlog.get_logger("addsvc").info("served", method="sum")

    text = out.getvalue()
    first, second = text.splitlines()
    assert "\x1b[" not in text
    assert "[info" in first
    assert "listening" in first
    assert "port=8080" in first
    assert "service=add" in first
    assert "request_id=req-7" in second
    assert "method=sum" in second
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)


def test_uvicorn_access_lines_are_quiet_and_its_other_lines_use_the_kit_format() -> None:
    out = io.StringIO()
    uvicorn_handler = logging.StreamHandler(io.StringIO())
    logging.getLogger("uvicorn.error").addHandler(uvicorn_handler)
    logging.getLogger("uvicorn.error").propagate = False
    configure(service="add", stream=out)

    logging.getLogger("uvicorn.access").info('127.0.0.1 - "POST /sum HTTP/1.1" 200')
    logging.getLogger("uvicorn.error").info("Application startup complete.")

    [line] = lines(out)
    assert (line["logger"], line["event"]) == ("uvicorn.error", "Application startup complete.")
    assert uvicorn_handler not in logging.getLogger("uvicorn.error").handlers
