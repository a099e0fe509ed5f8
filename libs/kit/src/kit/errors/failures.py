"""The errors of our side (HTTP 5xx): a dependency could not answer, this instance sheds the request, the deadline
passed, or a bug. The caller reads only what failed, in its terms."""

from __future__ import annotations

import logging
from http import HTTPStatus

from kit.errors.retry_after import RetryLater
from kit.errors.vocabulary import KitError


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


class Overloaded(RetryLater, Unavailable):
    """This instance sheds the request: it already has as much work as it can turn over without making it wait.
    Sent at once (503 with `Retry-After`, gRPC UNAVAILABLE with a `retry-after` trailer) so the caller can try
    another instance or come back later; it counts against the instance like any unavailability."""

    code = "overloaded"
    reason = "overloaded, try again shortly"

    def __init__(self, message: str = "overloaded", *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


__all__ = ["ConnectionFailed", "DeadlineExceeded", "Internal", "Overloaded", "Unavailable"]
