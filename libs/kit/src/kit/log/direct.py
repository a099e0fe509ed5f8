"""The kit's root handler, and the short way a request line takes to it when the process logs JSON lines.

A request line through the stdlib and `ProcessorFormatter` costs a LogRecord, a formatter and a dozen processors:
nearly a third of a small request's CPU. structlog's own fast path is a logger that skips the stdlib: a
`make_filtering_bound_logger` over a `WriteLogger`, running the same processors and the same orjson renderer.
When the kit's JSON handler is the only place a line can go, `direct_handler` finds it and the line takes that
logger (`KitHandler.write_fields`), so it comes out exactly as the ordinary way would write it. Any other handler,
filter or the console format sends the line the ordinary way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TextIO

import structlog
from structlog.types import Processor


class KitHandler(logging.StreamHandler[TextIO]):
    """The root handler `configure` installs (its type lets a second call find and replace it). With `processors`
    (the JSON chain), it also takes request lines directly through `write_fields`."""

    def __init__(self, stream: TextIO, *, processors: Sequence[Processor] | None = None) -> None:
        super().__init__(stream)
        self._lines: Any = None
        if processors is not None:
            self._lines = structlog.wrap_logger(
                structlog.WriteLogger(stream),
                processors=list(processors),
                wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
            ).bind()  # the bound logger itself: the lazy proxy wrap_logger returns would rebind on every line

    @property
    def direct(self) -> bool:
        """True when request lines may skip the stdlib and be written by `write_fields`."""
        return self._lines is not None

    def write_fields(self, level: int, logger: str, event: str, fields: dict[str, Any]) -> None:
        """Writes one JSON line, as the stdlib chain of `configure` renders a record whose `extra` is `fields`."""
        try:
            self._lines.log(level, event, logger=logger, **fields)
        except Exception:
            # As `emit` does: a line that cannot be written is reported on stderr, never raised into a request.
            self.handleError(logging.makeLogRecord({"name": logger, "levelno": level, "msg": event, "args": None}))


def direct_handler(logger: logging.Logger, level: int) -> KitHandler | None:
    """The kit's JSON handler when it is the only one a line of `logger` at `level` would reach, with no filter
    on the way and the level enabled; else None, and the line must go through `logger.log`."""
    if logger.filters or not logger.isEnabledFor(level):
        return None
    found: KitHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if (
                found is not None
                or type(handler) is not KitHandler
                or not handler.direct
                or handler.filters
                or level < handler.level
            ):
                return None
            found = handler
        current = current.parent if current.propagate else None
    return found
