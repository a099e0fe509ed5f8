"""Putting an exception on the HTTP wire: a status code, an `{"error": "..."}` body and any extra headers."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypeAlias

from pydantic import BaseModel

from kit.endpoint import request_id
from kit.errors import KitError, RateLimited

ErrorEncoder: TypeAlias = Callable[[BaseException], tuple[int, dict[str, str], dict[str, str]]]
"""Maps an exception to (status code, JSON body, extra response headers)."""

INTERNAL_MESSAGE = "internal error"
"""What the wire says about a bug: the details go to the log, never to the caller."""

STATUS_BY_CODE = {
    "business": 400,
    "invalid_argument": 400,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
    "deadline_exceeded": 504,
}
"""The HTTP status for each `kit.errors` code; any other code is a 500."""


class ErrorBody(BaseModel):
    """Every error answer of the kit's HTTP servers: what went wrong, for a person."""

    error: str


def default_error_encoder(exc: BaseException) -> tuple[int, dict[str, str], dict[str, str]]:
    """The kit's error mapping: a `kit.errors` class to its status with the error's own message (and `Retry-After`,
    whole seconds rounded up, at least 1, when rate limited); anything else to 500 `internal error`, the exception
    and its traceback going to the log."""
    status = STATUS_BY_CODE.get(exc.code) if isinstance(exc, KitError) else None
    if status is None or not isinstance(exc, KitError):
        logging.getLogger(__name__).exception("internal error while serving request %s", request_id(), exc_info=exc)
        return 500, {"error": INTERNAL_MESSAGE}, {}
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(retry_after_seconds(exc.retry_after))
    return status, {"error": exc.message}, headers


def retry_after_seconds(delay: float) -> int:
    """A delay as the whole number of seconds a `Retry-After` header carries: rounded up, at least 1."""
    if not math.isfinite(delay):
        return 1
    return max(1, math.ceil(delay))
