"""One log format for the whole process: structlog renders every line, the kit's and every library's.

`configure` puts a single structlog `ProcessorFormatter` handler on the stdlib root logger, so a plain
`logging.getLogger(__name__).info(...)` anywhere and a `structlog.get_logger()` line both come out as one JSON object
per line (or as readable console lines), with the service name and the current request id added.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from kit.endpoint import request_id
from kit.log.direct import HEAD, KitHandler

Format = Literal["json", "console"]
FORMATS: tuple[Format, ...] = ("json", "console")

DEFAULT_FORMAT: Format = "json"
"""The format when LOG_FORMAT is not set: JSON lines, for machines."""

DEFAULT_LEVEL = "INFO"
"""The level when LOG_LEVEL is not set."""


class _AddContext:
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


def _drop_formatter_fields(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    """Drops what another handler's Formatter may have left on the record (stdlib forbids them as extras), and
    uvicorn's `color_message`, a copy of the event with terminal colour codes in it."""
    event_dict.pop("message", None)
    event_dict.pop("asctime", None)
    event_dict.pop("color_message", None)
    return event_dict


def _ordered(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    """Puts the common fields first, so JSON lines read the same way each time."""
    head = {key: event_dict.pop(key) for key in HEAD if key in event_dict}
    head.update(event_dict)
    return head


def _dumps(obj: Any, **kwargs: Any) -> str:
    return orjson.dumps(obj, default=kwargs.get("default"), option=orjson.OPT_NON_STR_KEYS).decode()


def _renderers(fmt: Format, stream: TextIO) -> list[Processor]:
    if fmt == "json":
        return [
            structlog.processors.format_exc_info,
            _ordered,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ]
    return [
        structlog.dev.ConsoleRenderer(
            colors=stream.isatty(),
            exception_formatter=structlog.dev.plain_traceback,
            timestamp_key="ts",
        )
    ]


def parse_level(level: str) -> int:
    """The stdlib level number of a name such as `info` or `WARNING`; ValueError for an unknown one."""
    number = logging.getLevelNamesMapping().get(level.strip().upper())
    if number is None:
        raise ValueError(f"unknown log level {level!r}")
    return number


def configure(
    *,
    service: str,
    fmt: Format = DEFAULT_FORMAT,
    level: str = DEFAULT_LEVEL,
    stream: TextIO | None = None,
) -> None:
    """Sends every log line of the process to `stream` (stderr by default) in one format, from `main.py`.

    JSON lines carry `ts` (ISO 8601, UTC), `level`, `logger`, `event`, `service`, `request_id` inside a request
    scope, and any extra fields (`extra=` of stdlib calls, key-values of structlog calls). Calling it again
    replaces the handler it installed, so lines are never duplicated; other handlers on the root logger are
    left alone. uvicorn's access log is quieted: the kit's own request line (`endpoint_logging`) replaces it.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(FORMATS)}")
    number = parse_level(level)
    out = stream if stream is not None else sys.stderr
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        structlog.processors.StackInfoRenderer(),
    ]
    context = _AddContext(service)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_formatter_fields, context],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(fmt, out)],
    )
    # A JSON handler also takes request lines directly (kit.log.direct), skipping the chain above.
    handler = KitHandler(out, service=service if fmt == "json" else None)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, KitHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(number)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            context,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached, so a second configure() also reaches loggers made before it.
        cache_logger_on_first_use=False,
    )
    _quiet_uvicorn()


def _quiet_uvicorn() -> None:
    # uvicorn's own handlers would print in its format; propagate to the root handler instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def from_env(
    *,
    service: str,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """`configure` from LOG_FORMAT (`json` or `console`, default `json`) and LOG_LEVEL (default `INFO`);
    `environ` defaults to `os.environ`. An unknown format or level raises ValueError rather than guessing."""
    env = os.environ if environ is None else environ
    fmt = env.get("LOG_FORMAT", DEFAULT_FORMAT).strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT={fmt!r}; expected one of {', '.join(FORMATS)}")
    configure(service=service, fmt=fmt, level=env.get("LOG_LEVEL", DEFAULT_LEVEL), stream=stream)
