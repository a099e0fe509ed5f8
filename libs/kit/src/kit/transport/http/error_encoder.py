"""Putting an exception on the HTTP wire: a status code, an `{"error": "..."}` body and any extra headers, all read
from the error itself (see `kit.errors`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeAlias

from pydantic import BaseModel

from kit.endpoint import request_id
from kit.errors import as_kit_error, is_logged

ErrorEncoder: TypeAlias = Callable[[BaseException], tuple[int, dict[str, str], dict[str, str]]]
"""Maps an exception to (status code, JSON body, extra response headers)."""

KIT_ERROR_HEADER = "kit-error"
"""Answer header carrying the kit error `code`, so a kit client tells a business refusal from a malformed request
(both are 400); the gRPC transport sends the same in its trailers."""


class ErrorBody(BaseModel):
    """Every error answer of the kit's HTTP servers: what went wrong, for a person."""

    error: str


def default_error_encoder(exc: BaseException) -> tuple[int, dict[str, str], dict[str, str]]:
    """The kit's error answer: the error's own status, headers and public message (a failure on our side says
    what failed in the caller's terms and the request id to quote; the details are in the log). An exception that
    is no kit error is a bug: 500 `internal error`, its traceback logged here unless the request's line has it.
    """
    error = as_kit_error(exc)
    if error.log_level >= logging.ERROR and not is_logged(exc):
        logging.getLogger(__name__).error("internal error while serving request %s", request_id(), exc_info=exc)
    message = error.public_message()
    rid = request_id()
    if error.http_status >= 500 and rid is not None:
        message = f"{message} (request id {rid})"
    return int(error.http_status), {"error": message}, {**error.headers(), KIT_ERROR_HEADER: error.code}
