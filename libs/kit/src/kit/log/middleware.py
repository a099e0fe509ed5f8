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
from kit.errors import error_code
from kit.log.direct import direct_handler

EVENT = "request"
"""The `event` of the request line; `method`, `outcome` and the other fields tell requests apart."""

_CANCELLED = "cancelled"

_LEVELS: dict[str, int] = {
    "ok": logging.INFO,
    "business": logging.INFO,
    "invalid_argument": logging.INFO,
    "too_large": logging.INFO,
    "rate_limited": logging.INFO,
    _CANCELLED: logging.INFO,
    "unavailable": logging.WARNING,
    "deadline_exceeded": logging.WARNING,
    "internal": logging.ERROR,
}
_UNKNOWN_LEVEL = logging.WARNING


def level_for(outcome: str) -> int:
    """The level of a request line: info for success and the caller's errors, warning for a dependency that is
    unavailable or too slow (and for outcomes this table does not know), error for a bug."""
    return _LEVELS.get(outcome, _UNKNOWN_LEVEL)


# The return type spells the Callable out: the `Middleware[Req, Resp]` alias would make mypy bind Req and Resp
# here (to Never) instead of at each endpoint the middleware wraps.
def endpoint_logging(
    logger: logging.Logger, *, service: str, method: str
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """Middleware that logs each request once, after it ends, with `service`, `method`, `transport`,
    `request_id`, `duration_ms` and `outcome` (`ok` or the kit.errors code), plus `error` when it failed.
    An internal error carries its traceback; a cancellation logs `outcome=cancelled` and is re-raised."""

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
                outcome = error_code(exc)
                level = level_for(outcome)
                if logger.isEnabledFor(level):
                    extra = fields(start, outcome)
                    extra["error"] = str(exc) or type(exc).__name__
                    emit(level, extra, exc if level >= logging.ERROR else None)
                raise
            except BaseException:
                if logger.isEnabledFor(logging.INFO):
                    emit(logging.INFO, fields(start, _CANCELLED))
                raise
            if logger.isEnabledFor(logging.INFO):
                emit(logging.INFO, fields(start, "ok"))
            return response

        return logged

    return middleware
