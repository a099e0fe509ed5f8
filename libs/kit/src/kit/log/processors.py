"""The structlog processors every log line passes: the context the kit adds, the field order, the renderers.

`configure` puts them in two chains (the stdlib one and, for JSON, the direct one of `kit.log.direct`), so a line
comes out the same whichever way it was written.
"""

from __future__ import annotations

from typing import Any, TextIO

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from kit.endpoint import request_id
from kit.log.config import Format

HEAD = ("ts", "level", "logger", "event", "service", "request_id")
"""The keys every JSON line starts with, in this order, whichever way it was written."""


class AddContext:
    """Adds the service name and, inside a request scope, the request id, unless the line carries its own."""

    __slots__ = ("_service",)

    def __init__(self, service: str) -> None:
        self._service = service

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", self._service)
        if "request_id" not in event_dict:
            rid = request_id()
            if rid is not None:
                event_dict["request_id"] = rid
        return event_dict


def drop_formatter_fields(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    """Drops what another handler's Formatter may have left on the record (stdlib forbids them as extras), and
    uvicorn's `color_message`, a copy of the event with terminal colour codes in it."""
    event_dict.pop("message", None)
    event_dict.pop("asctime", None)
    event_dict.pop("color_message", None)
    return event_dict


def ordered(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    """Puts the common fields first, so JSON lines read the same way each time."""
    head = {key: event_dict.pop(key) for key in HEAD if key in event_dict}
    head.update(event_dict)
    return head


TIMESTAMPER = structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts")


def _dumps(obj: Any, **kwargs: Any) -> str:
    return orjson.dumps(obj, default=kwargs.get("default"), option=orjson.OPT_NON_STR_KEYS).decode()


JSON_RENDERER = structlog.processors.JSONRenderer(serializer=_dumps)


def renderers(fmt: Format, stream: TextIO) -> list[Processor]:
    if fmt == "json":
        return [structlog.processors.format_exc_info, ordered, JSON_RENDERER]
    return [
        structlog.dev.ConsoleRenderer(
            colors=stream.isatty(),
            exception_formatter=structlog.dev.plain_traceback,
            timestamp_key="ts",
        )
    ]
