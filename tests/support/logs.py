"""Capturing the kit's request log lines in tests: where they go, and reading them back."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from kit.log.direct import KitHandler


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


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]
