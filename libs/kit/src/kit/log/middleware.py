"""endpoint_logging: one log line per request, the kit's replacement for an access log.

It takes a stdlib `logging.Logger` (not a structlog one): the line then shares the handlers, levels and filters of
every other line of the process, and `Logger.isEnabledFor` makes a disabled level cost only the timing. When the
kit's JSON handler is the only one the line would reach, it is written there directly (see `kit.log.direct`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter
from typing import Any

from kit.endpoint import Endpoint, Req, Resp, request_id, transport
from kit.errors import CANCELLED, as_kit_error, mark_logged
from kit.log.direct import direct_handler

EVENT = "request"
"""The `event` of the request line; `method`, `outcome` and the other fields tell requests apart."""


# The return type spells the Callable out: the `Middleware[Req, Resp]` alias would make mypy bind Req and Resp
# here (to Never) instead of at each endpoint the middleware wraps.
def endpoint_logging(
    logger: logging.Logger, *, service: str, method: str
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """Middleware that logs each request once, after it ends, with `service`, `method`, `transport`,
    `request_id`, `duration_ms` and `outcome` (`ok` or the kit.errors code), plus `error` (and `dependency`) when
    it failed, at the level the error carries (`KitError.log_level`). A bug carries its traceback, and the
    transports do not log it again; a cancellation logs `outcome=cancelled` at info and is re-raised."""

    def fields(start: float, outcome: str) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "service": service,
            "method": method,
            "transport": transport(),
            "duration_ms": round((perf_counter() - start) * 1000.0, 3),
            "outcome": outcome,
        }
        rid = request_id()
        if rid is not None:
            extra["request_id"] = rid
        return extra

    def emit(level: int, extra: dict[str, Any], exc: BaseException | None = None) -> None:
        # A traceback is rare and wants structlog's formatter: only lines without one take the direct way.
        handler = direct_handler(logger, level) if exc is None else None
        if handler is not None:
            handler.write_fields(level, logger.name, EVENT, extra)
        else:
            logger.log(level, EVENT, extra=extra, exc_info=exc)

    def middleware(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def logged(request: Req) -> Resp:
            start = perf_counter()
            try:
                response = await next_(request)
            except Exception as exc:
                error = as_kit_error(exc)
                level = error.log_level
                if logger.isEnabledFor(level):
                    extra = fields(start, error.code)
                    extra["error"] = str(exc) or type(exc).__name__
                    if error.dependency is not None:
                        extra["dependency"] = error.dependency
                    bug = level >= logging.ERROR
                    emit(level, extra, exc if bug else None)
                    if bug:
                        mark_logged(exc)
                raise
            except BaseException:
                if logger.isEnabledFor(logging.INFO):
                    emit(logging.INFO, fields(start, CANCELLED))
                raise
            if logger.isEnabledFor(logging.INFO):
                emit(logging.INFO, fields(start, "ok"))
            return response

        return logged

    return middleware
