"""The error classes of the kit's vocabulary, each with its code, HTTP status, gRPC status, log level and whether
it counts against the instance that served it (see the package's docstring)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import ClassVar

from kit.errors.retry_after import retry_after_seconds

CANCELLED = "cancelled"
"""The outcome of a request whose caller went away or was cancelled: no error class, no answer sent."""


class KitError(Exception):
    """Base of every error the kit knows how to put on a wire; a bare KitError is a bug (`internal`)."""

    code: ClassVar[str] = "internal"
    http_status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    grpc_status: ClassVar[str] = "INTERNAL"
    """The name of the `grpc.StatusCode` member it travels as (this layer imports no gRPC)."""
    log_level: ClassVar[int] = logging.ERROR
    failure: ClassVar[bool] = True
    """True when the error says something about the instance that served it: breakers and retries count it."""

    def __init__(self, message: str, *, dependency: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.dependency = dependency

    def headers(self) -> dict[str, str]:
        """Extra HTTP headers of the answer (go-kit's `Headerer`)."""
        return {}

    def public_message(self) -> str:
        """What the caller may read: the full message for the caller's own mistakes, a summary in the caller's
        terms for failures on our side."""
        return self.message if self.http_status < HTTPStatus.INTERNAL_SERVER_ERROR else "internal error"


class BusinessError(KitError):
    """A rule of the service refused the request (integer overflow, result too long): the caller's answer."""

    code = "business"
    http_status = HTTPStatus.BAD_REQUEST
    grpc_status = "INVALID_ARGUMENT"
    log_level = logging.INFO
    failure = False


class InvalidArgument(KitError):
    """The request is malformed: bad JSON, a missing field, a wrong type, a value out of range."""

    code = "invalid_argument"
    http_status = HTTPStatus.BAD_REQUEST
    grpc_status = "INVALID_ARGUMENT"
    log_level = logging.INFO
    failure = False


class PayloadTooLarge(KitError):
    """The request body is larger than the server accepts."""

    code = "too_large"
    http_status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    grpc_status = "RESOURCE_EXHAUSTED"
    log_level = logging.INFO
    failure = False


class RateLimited(KitError):
    """Too many requests; `retry_after` says in how many seconds one may succeed."""

    code = "rate_limited"
    http_status = HTTPStatus.TOO_MANY_REQUESTS
    grpc_status = "RESOURCE_EXHAUSTED"
    log_level = logging.INFO

    def __init__(self, message: str = "rate limited", *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(retry_after_seconds(self.retry_after))}


class Unauthenticated(KitError):
    """The request carries no credentials, or ones that do not verify (bad signature, expired, wrong audience).
    `challenge` is what HTTP's `WWW-Authenticate` answers with: the schemes the server accepts."""

    code = "unauthenticated"
    http_status = HTTPStatus.UNAUTHORIZED
    grpc_status = "UNAUTHENTICATED"
    log_level = logging.INFO
    failure = False

    def __init__(self, message: str, *, challenge: str = "Bearer") -> None:
        super().__init__(message)
        self.challenge = challenge

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge}


class PermissionDenied(KitError):
    """The caller is who it says, but may not do this (a required scope is missing)."""

    code = "permission_denied"
    http_status = HTTPStatus.FORBIDDEN
    grpc_status = "PERMISSION_DENIED"
    log_level = logging.INFO
    failure = False


class Unavailable(KitError):
    """A dependency cannot be reached: no instance, circuit open, retries spent, connection refused.

    `reason` says why in the caller's terms; subclasses give their own."""

    code = "unavailable"
    http_status = HTTPStatus.SERVICE_UNAVAILABLE
    grpc_status = "UNAVAILABLE"
    log_level = logging.WARNING
    reason: str = ""

    def headers(self) -> dict[str, str]:
        # A 503 tells the caller when to come back (RFC 9110): a second, as for a shed request.
        return {"Retry-After": "1"}

    def public_message(self) -> str:
        what = f"{self.dependency} is unavailable" if self.dependency else "service unavailable"
        return f"{what}: {self.reason}" if self.reason else what


class ConnectionFailed(Unavailable):
    """The instance itself could not be reached (refused, reset, unresolvable): grounds to stop sending it work."""

    reason = "an instance could not be reached"


class Overloaded(Unavailable):
    """This instance sheds the request: it already has as much work as it can turn over without making it wait.
    Sent at once (503 with `Retry-After`, gRPC UNAVAILABLE with a `retry-after` trailer) so the caller can try
    another instance or come back later; it counts against the instance like any unavailability."""

    code = "overloaded"
    reason = "overloaded, try again shortly"

    def __init__(self, message: str = "overloaded", *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(retry_after_seconds(self.retry_after))}


class DeadlineExceeded(KitError):
    """The request's deadline passed before an answer came."""

    code = "deadline_exceeded"
    http_status = HTTPStatus.GATEWAY_TIMEOUT
    grpc_status = "DEADLINE_EXCEEDED"
    log_level = logging.WARNING

    def public_message(self) -> str:
        return f"deadline exceeded waiting for {self.dependency}" if self.dependency else "deadline exceeded"


class Internal(KitError):
    """A bug or an unexpected failure; its message is for the log, never for the wire."""


__all__ = [
    "CANCELLED",
    "BusinessError",
    "ConnectionFailed",
    "DeadlineExceeded",
    "Internal",
    "InvalidArgument",
    "KitError",
    "Overloaded",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
]
