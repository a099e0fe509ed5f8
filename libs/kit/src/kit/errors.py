"""The kit's error vocabulary, shared by every transport so one failure means the same thing on every wire.

Each class carries a transport-neutral `code`; `kit.transport.http` maps it to a status code and
`kit.transport.grpc` to a gRPC status. `code` is also the `outcome` label of the request metrics.

`is_failure` says which errors count against an instance: breakers and retries ignore business errors and the
caller's own mistakes, because another attempt or another instance would give the same answer.
"""

from __future__ import annotations

from typing import ClassVar


class KitError(Exception):
    """Base of every error the kit knows how to put on a wire."""

    code: ClassVar[str] = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BusinessError(KitError):
    """A rule of the service refused the request (integer overflow, result too long): the caller's answer."""

    code = "business"


class InvalidArgument(KitError):
    """The request is malformed: bad JSON, a missing field, a wrong type, a value out of range."""

    code = "invalid_argument"


class PayloadTooLarge(KitError):
    """The request body is larger than the server accepts."""

    code = "too_large"


class RateLimited(KitError):
    """Too many requests; `retry_after` says in how many seconds one may succeed."""

    code = "rate_limited"

    def __init__(self, message: str = "rate limited", *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(KitError):
    """A dependency cannot be reached: no instance, circuit open, retries spent, connection refused."""

    code = "unavailable"


class ConnectionFailed(Unavailable):
    """The instance itself could not be reached (refused, reset, unresolvable): grounds to stop sending it work."""


class DeadlineExceeded(KitError):
    """The request's deadline passed before an answer came."""

    code = "deadline_exceeded"


class Internal(KitError):
    """A bug or an unexpected failure; its message is for the log, never for the wire."""

    code = "internal"


def error_code(exc: BaseException) -> str:
    """The transport-neutral code of any exception: a KitError's own, `internal` for anything else."""
    return exc.code if isinstance(exc, KitError) else Internal.code


def is_failure(exc: BaseException) -> bool:
    """True when the error says something about the instance that served it, not about the request."""
    return not isinstance(exc, (BusinessError, InvalidArgument, PayloadTooLarge))


__all__ = [
    "BusinessError",
    "ConnectionFailed",
    "DeadlineExceeded",
    "Internal",
    "InvalidArgument",
    "KitError",
    "PayloadTooLarge",
    "RateLimited",
    "Unavailable",
    "error_code",
    "is_failure",
]
