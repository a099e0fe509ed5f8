"""The kit's errors on the gRPC wire: which status each one travels as, and which error each status comes back as.

A status code alone cannot tell every kit error apart (rate limited and too large share RESOURCE_EXHAUSTED, a down
dependency and an unreachable instance share UNAVAILABLE), so the server also puts the error's `code` in the
trailing metadata under `kit-error`, and `retry-after` for a rate limit. A peer that sends neither (a Go service,
grpc's own core) still maps sensibly: the status decides, and UNAVAILABLE without `kit-error` means the instance
itself could not be reached.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import grpc

from kit.errors import (
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    KitError,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
)

KIT_ERROR_KEY = "kit-error"
"""Trailing metadata key carrying the kit error `code` of a failed call."""

RETRY_AFTER_KEY = "retry-after"
"""Trailing metadata key carrying, in seconds, when a rate-limited call may be tried again."""

INTERNAL_DETAILS = "internal error"
"""The only details an INTERNAL status ever carries: what went wrong is for the server's log."""

_STATUS_BY_CODE: dict[str, grpc.StatusCode] = {
    BusinessError.code: grpc.StatusCode.INVALID_ARGUMENT,
    InvalidArgument.code: grpc.StatusCode.INVALID_ARGUMENT,
    PayloadTooLarge.code: grpc.StatusCode.RESOURCE_EXHAUSTED,
    RateLimited.code: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unavailable.code: grpc.StatusCode.UNAVAILABLE,
    DeadlineExceeded.code: grpc.StatusCode.DEADLINE_EXCEEDED,
    Internal.code: grpc.StatusCode.INTERNAL,
}

# grpc core's own words when a message breaks grpc.max_{receive,send}_message_length.
_SIZE_LIMIT_MARK = "message larger than max"


def wire_code(exc: BaseException) -> str:
    """The kit error code an exception travels as: a KitError's own, a timeout's, else `internal`."""
    if isinstance(exc, KitError):
        return exc.code
    if isinstance(exc, TimeoutError):
        return DeadlineExceeded.code
    return Internal.code


def to_status(exc: BaseException) -> grpc.StatusCode:
    """The gRPC status a server answers with when an endpoint raises `exc`."""
    if isinstance(exc, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return _STATUS_BY_CODE.get(wire_code(exc), grpc.StatusCode.INTERNAL)


def details(exc: BaseException) -> str:
    """The status details sent for `exc`: its message for a kit error a caller may read, else a generic text."""
    if isinstance(exc, KitError) and not isinstance(exc, Internal):
        return exc.message
    if isinstance(exc, TimeoutError):
        return "deadline exceeded"
    return INTERNAL_DETAILS


def trailing_metadata(exc: BaseException) -> tuple[tuple[str, str], ...]:
    """The trailing metadata sent with the status of `exc`: its kit code, and `retry-after` for a rate limit."""
    code = (KIT_ERROR_KEY, wire_code(exc))
    if isinstance(exc, RateLimited):
        return (code, (RETRY_AFTER_KEY, format(max(0.0, exc.retry_after), "g")))
    return (code,)


def from_rpc_error(err: grpc.aio.AioRpcError) -> KitError:
    """The kit error a client raises for a failed call, so retries and breakers judge it like any other."""
    status = err.code()
    text = err.details() or status.name.lower()
    kit_code = _metadata_value(err.trailing_metadata(), KIT_ERROR_KEY)
    if status is grpc.StatusCode.UNAVAILABLE:
        # Only the server's word says a dependency is down; otherwise the instance itself did not answer.
        return Unavailable(text) if kit_code == Unavailable.code else ConnectionFailed(text)
    if status is grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(text)
    if status is grpc.StatusCode.RESOURCE_EXHAUSTED:
        if kit_code == PayloadTooLarge.code or (kit_code is None and _SIZE_LIMIT_MARK in text):
            return PayloadTooLarge(text)
        retry_after = _retry_after(_metadata_value(err.trailing_metadata(), RETRY_AFTER_KEY))
        return RateLimited(text, retry_after=retry_after)
    if status is grpc.StatusCode.INVALID_ARGUMENT:
        return BusinessError(text) if kit_code == BusinessError.code else InvalidArgument(text)
    if status is grpc.StatusCode.CANCELLED:
        # The caller's own cancellation never gets here (grpc raises CancelledError for it): the server or a closed
        # channel ended the call, so this instance is not answering.
        return ConnectionFailed(text)
    return Internal(f"{status.name}: {text}")


def _metadata_value(metadata: Any, key: str) -> str | None:
    for item_key, value in metadata or ():
        if item_key == key and isinstance(value, str):
            return value
    return None


def _retry_after(value: str | None, default: float = 1.0) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        return default
    return seconds if math.isfinite(seconds) and seconds >= 0 else default
