"""The kit's root handler, and the short way a request line takes to it when the process logs JSON lines.

A request line through the stdlib and structlog costs a LogRecord and a dozen processors, about 16 µs: nearly a
third of a small request's CPU. When the kit's JSON handler is the only place a line can go, `direct_handler`
finds it and `KitHandler.write_fields` renders the same JSON object (same fields, same order, same timestamp
format) straight from a dict with orjson. Any other handler, filter or the console format sends the line the
ordinary way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
import structlog

from kit.endpoint import request_id

HEAD = ("ts", "level", "logger", "event", "service", "request_id")
"""The keys every JSON line starts with, in this order, whichever way it was written."""

_LEVEL_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}

# structlog keeps what `bind_contextvars` bound in this dict; while it is empty nothing can be merged, so the
# direct line skips the copy of the whole context that `get_contextvars` makes. Without it, always merge.
_BOUND: dict[str, Any] | None = getattr(structlog.contextvars, "_CONTEXT_VARS", None)


class KitHandler(logging.StreamHandler[TextIO]):
    """The root handler `configure` installs (its type lets a second call find and replace it). With a
    `service`, it writes JSON lines and takes request lines directly through `write_fields`."""

    def __init__(self, stream: TextIO, *, service: str | None = None) -> None:
        super().__init__(stream)
        self.service = service

    def write_fields(self, level: int, logger: str, event: str, fields: dict[str, Any]) -> None:
        """Writes one JSON line, as the structlog chain of `configure` renders a stdlib record whose `extra` is
        `fields`: the head keys first, then contextvars bound with structlog, then the other fields."""
        if _BOUND is None or _BOUND:
            fields = {**structlog.contextvars.get_contextvars(), **fields}
        line: dict[str, Any] = {
            # structlog's TimeStamper(fmt="iso", utc=True), to the character.
            "ts": datetime.now(tz=UTC).isoformat().replace("+00:00", "Z"),
            "level": _LEVEL_NAMES.get(level) or logging.getLevelName(level).lower(),
            "logger": logger,
            "event": event,
            "service": fields.get("service", self.service),
        }
        rid = fields.get("request_id") if "request_id" in fields else request_id()
        if rid is not None:
            line["request_id"] = rid
        # Keys already in `line` keep their place: the head stays first, the rest follow in their own order.
        line.update(fields)
        try:
            data = orjson.dumps(line, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE).decode()
            with self.lock:  # type: ignore[union-attr]  # StreamHandler always creates its lock
                self.stream.write(data)
                self.flush()
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
                or handler.service is None
                or handler.filters
                or level < handler.level
            ):
                return None
            found = handler
        current = current.parent if current.propagate else None
    return found
