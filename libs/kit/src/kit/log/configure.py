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
from dataclasses import dataclass
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from kit.endpoint import request_id
from kit.env import ConfigError
from kit.log.direct import KitHandler

HEAD = ("ts", "level", "logger", "event", "service", "request_id")
"""The keys every JSON line starts with, in this order, whichever way it was written."""

Format = Literal["json", "console"]
FORMATS: tuple[Format, ...] = ("json", "console")

DEFAULT_FORMAT: Format = "json"
"""The format when LOG_FORMAT is not set and the output is no terminal: JSON lines, for machines. On a terminal
the default is `console`, coloured lines for a person."""

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


_TIMESTAMPER = structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts")


def _dumps(obj: Any, **kwargs: Any) -> str:
    return orjson.dumps(obj, default=kwargs.get("default"), option=orjson.OPT_NON_STR_KEYS).decode()


_JSON_RENDERER = structlog.processors.JSONRenderer(serializer=_dumps)


def _renderers(fmt: Format, stream: TextIO) -> list[Processor]:
    if fmt == "json":
        return [structlog.processors.format_exc_info, _ordered, _JSON_RENDERER]
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
        _TIMESTAMPER,
        structlog.processors.StackInfoRenderer(),
    ]
    context = _AddContext(service)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_formatter_fields, context],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(fmt, out)],
    )
    # A JSON handler also takes request lines directly (kit.log.direct), on structlog's own fast path: the same
    # processors, without the stdlib record and formatter.
    direct: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _TIMESTAMPER,
        context,
        _ordered,
        _JSON_RENDERER,
    ]
    handler = KitHandler(out, processors=direct if fmt == "json" else None)
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


@dataclass(frozen=True, slots=True)
class Config:
    """The logging configuration of a process: the format and the level, read and checked before anything runs."""

    fmt: Format = DEFAULT_FORMAT
    level: str = DEFAULT_LEVEL


def read_config(environ: Mapping[str, str] | None = None, *, stream: TextIO | None = None) -> Config:
    """LOG_FORMAT (`json` or `console`; when unset, `console` if `stream` (stderr by default) is a terminal, else
    `json`) and LOG_LEVEL (a level name, default `INFO`); raises kit.env.ConfigError naming the variable."""
    env = os.environ if environ is None else environ
    raw_format = env.get("LOG_FORMAT", "").strip().lower()
    if not raw_format:
        out = stream if stream is not None else sys.stderr
        fmt: Format = "console" if out.isatty() else DEFAULT_FORMAT
    elif raw_format in FORMATS:
        fmt = raw_format
    else:
        raise ConfigError(f"LOG_FORMAT={env['LOG_FORMAT']!r}: want one of {', '.join(FORMATS)}")
    level = env.get("LOG_LEVEL", "").strip() or DEFAULT_LEVEL
    try:
        parse_level(level)
    except ValueError:
        raise ConfigError(f"LOG_LEVEL={env['LOG_LEVEL']!r}: want a level name such as debug, info or warning") from None
    return Config(fmt=fmt, level=level)


def from_env(
    *,
    service: str,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """`configure` as `read_config` reads the environment (`environ` defaults to `os.environ`); an unknown format
    or level raises kit.env.ConfigError rather than guessing."""
    cfg = read_config(environ, stream=stream)
    configure(service=service, fmt=cfg.fmt, level=cfg.level, stream=stream)
