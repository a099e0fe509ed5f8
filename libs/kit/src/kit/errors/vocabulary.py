"""The base of the kit's error vocabulary: `KitError` and what every class of it carries, its code, HTTP status,
gRPC status, log level and whether it counts against the instance that served it (see the package's docstring).
The classes are in `kit.errors.caller` (the caller's side, 4xx) and `kit.errors.failures` (our side, 5xx)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import ClassVar

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


__all__ = ["CANCELLED", "KitError"]
