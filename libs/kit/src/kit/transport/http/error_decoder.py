"""The client side of `error_encoder`: an error answer of a kit HTTP server read back as the `kit.errors` exception
it stands for, the body's `error` message kept."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import orjson

from kit import errors
from kit.transport.http.error_encoder import KIT_ERROR_HEADER

if TYPE_CHECKING:
    import httpx

_ANSWERABLE: tuple[type[errors.KitError], ...] = (
    errors.InvalidArgument,
    errors.BusinessError,
    errors.PayloadTooLarge,
    errors.Unavailable,
    errors.DeadlineExceeded,
)
"""The errors an answer's status stands for; the first of a status is taken unless `kit-error` names another."""


def error_from_response(response: httpx.Response) -> errors.KitError:
    """The `kit.errors` exception an error answer of a kit HTTP server stands for."""
    status = response.status_code
    message = _error_message(response)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return errors.RateLimited(message, retry_after=errors.parse_retry_after(response.headers.get("retry-after")))
    if status == HTTPStatus.REQUEST_TIMEOUT:
        return errors.DeadlineExceeded(message)
    code = response.headers.get(KIT_ERROR_HEADER)
    matching = [error for error in _ANSWERABLE if error.http_status == status]
    if matching:
        return next((error for error in matching if error.code == code), matching[0])(message)
    return errors.Internal(f"HTTP {status} from {response.request.method} {response.request.url.path}: {message}")


def _error_message(response: httpx.Response) -> str:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.reason_phrase or f"HTTP {response.status_code}"
