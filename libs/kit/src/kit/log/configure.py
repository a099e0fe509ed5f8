"""One log format for the whole process: structlog renders every line, the kit's and every library's.

`configure` puts a single structlog `ProcessorFormatter` handler on the stdlib root logger, so a plain
`logging.getLogger(__name__).info(...)` anywhere and a `structlog.get_logger()` line both come out as one JSON object
per line (or as readable console lines), with the service name and the current request id added.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TextIO

import structlog
from structlog.types import Processor

from kit.log.config import DEFAULT_FORMAT, DEFAULT_LEVEL, FORMATS, Format, parse_level, read_config
from kit.log.direct import KitHandler
from kit.log.processors import JSON_RENDERER, TIMESTAMPER, AddContext, drop_formatter_fields, ordered, renderers


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
        TIMESTAMPER,
        structlog.processors.StackInfoRenderer(),
    ]
    context = AddContext(service)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), drop_formatter_fields, context],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers(fmt, out)],
    )
    # A JSON handler also takes request lines directly (kit.log.direct), on structlog's own fast path: the same
    # processors, without the stdlib record and formatter.
    direct: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        TIMESTAMPER,
        context,
        ordered,
        JSON_RENDERER,
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
