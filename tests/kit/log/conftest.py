"""Fixtures of the kit.log tests: a configured request-line stream (both ways a line can take), a root logger put
back afterwards (and the uvicorn loggers with it: `restore_logging`), and a hand-moved clock for durations."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

import kit.log.middleware as middleware_module
from kit.log import configure
from support.clock import FakeClock
from support.logs import Listening, Out


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


QUIETED = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure() changes process-wide state; put it back so other tests see the logging they expect."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    others = {name: (lg.handlers[:], lg.propagate, lg.level) for name in QUIETED if (lg := logging.getLogger(name))}
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, (handlers, propagate, lvl) in others.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(lvl)
    structlog.reset_defaults()
