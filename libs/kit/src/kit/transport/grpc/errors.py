"""The kit's errors on the gRPC wire: each one travels as the status it carries (`KitError.grpc_status`), and
each status comes back as an error.

A status code alone cannot tell every kit error apart (rate limited and too large share RESOURCE_EXHAUSTED, a down
dependency and an unreachable instance share UNAVAILABLE), so the server also puts the error's `code` in the
trailing metadata under `kit-error`, and `retry-after` for a rate limit. A peer that sends neither (a Go service,
grpc's own core) still maps sensibly: the status decides, and UNAVAILABLE without `kit-error` means the instance
itself could not be reached.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from kit import errors
from kit.endpoint import request_id

KIT_ERROR_KEY = "kit-error"
"""Trailing metadata key carrying the kit error `code` of a failed call."""

RETRY_AFTER_KEY = "retry-after"
"""Trailing metadata key carrying, in seconds, when a rate-limited call may be tried again."""

# grpc core's own words when a message breaks grpc.max_{receive,send}_message_length.
_SIZE_LIMIT_MARK = "message larger than max"


def to_status(exc: BaseException) -> grpc.StatusCode:
    """The gRPC status a server answers with when an endpoint raises `exc`: the one the error carries."""
    if isinstance(exc, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode[errors.as_kit_error(exc).grpc_status]


def details(exc: BaseException) -> str:
    """The status details sent for `exc`: what the caller may read (see `KitError.public_message`), with the
    request id to quote when the failure is on our side."""
    error = errors.as_kit_error(exc)
    text = error.public_message()
    rid = request_id()
    return f"{text} (request id {rid})" if error.http_status >= 500 and rid is not None else text


def trailing_metadata(exc: BaseException) -> tuple[tuple[str, str], ...]:
    """The trailing metadata sent with the status of `exc`: its kit code, and `retry-after` when rate limited or
    overloaded."""
    error = errors.as_kit_error(exc)
    code = (KIT_ERROR_KEY, error.code)
    if isinstance(error, errors.RetryLater):
        return (code, (RETRY_AFTER_KEY, format(max(0.0, error.retry_after), "g")))
    return (code,)


_REFUSED_STREAM_MARK = "RST_STREAM with error code 7"
"""grpc core's words for a stream the server refused before processing it (HTTP/2 REFUSED_STREAM)."""


def from_rpc_error(err: grpc.aio.AioRpcError) -> errors.KitError:
    """The kit error a client raises for a failed call, so retries and breakers judge it like any other."""
    status = err.code()
    text = err.details() or status.name.lower()
    kit_code = _metadata_value(err.trailing_metadata(), KIT_ERROR_KEY)
    if status is grpc.StatusCode.UNAVAILABLE:
        # Only the server's word says a dependency is down; otherwise the instance itself did not answer.
        if kit_code == errors.Overloaded.code:
            return errors.Overloaded(
                text, retry_after=errors.parse_retry_after(_metadata_value(err.trailing_metadata(), RETRY_AFTER_KEY))
            )
        if kit_code == errors.Unavailable.code or _REFUSED_STREAM_MARK in text:
            # A refused stream (HTTP/2 REFUSED_STREAM) was never processed: the instance is there but busy, so it
            # may be retried, and it is no reason to stop sending the instance work at once.
            return errors.Unavailable(text)
        return errors.ConnectionFailed(text)
    if status is grpc.StatusCode.DEADLINE_EXCEEDED:
        return errors.DeadlineExceeded(text)
    if status is grpc.StatusCode.RESOURCE_EXHAUSTED:
        if kit_code == errors.PayloadTooLarge.code or (kit_code is None and _SIZE_LIMIT_MARK in text):
            return errors.PayloadTooLarge(text)
        retry_after = errors.parse_retry_after(_metadata_value(err.trailing_metadata(), RETRY_AFTER_KEY))
        return errors.RateLimited(text, retry_after=retry_after)
    if status is grpc.StatusCode.INVALID_ARGUMENT:
        return errors.BusinessError(text) if kit_code == errors.BusinessError.code else errors.InvalidArgument(text)
    if status is grpc.StatusCode.UNAUTHENTICATED:
        return errors.Unauthenticated(text)
    if status is grpc.StatusCode.PERMISSION_DENIED:
        return errors.PermissionDenied(text)
    if status is grpc.StatusCode.CANCELLED:
        # The caller's own cancellation never gets here (grpc raises CancelledError for it): the server or a closed
        # channel ended the call, so this instance is not answering.
        return errors.ConnectionFailed(text)
    return errors.Internal(f"{status.name}: {text}")


def _metadata_value(metadata: Any, key: str) -> str | None:
    for item_key, value in metadata or ():
        if item_key == key and isinstance(value, str):
            return value
    return None
