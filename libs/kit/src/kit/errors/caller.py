"""The errors of the caller's side (HTTP 4xx): the request is refused for what it asks or who asks it. Each answer
tells the caller in full what was wrong; all are logged at INFO, and none but a rate limit says something about the
instance that answered (`failure`)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from kit.errors.retry_after import RetryLater
from kit.errors.vocabulary import KitError


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


class RateLimited(RetryLater, KitError):
    """Too many requests; `retry_after` says in how many seconds one may succeed."""

    code = "rate_limited"
    http_status = HTTPStatus.TOO_MANY_REQUESTS
    grpc_status = "RESOURCE_EXHAUSTED"
    log_level = logging.INFO

    def __init__(self, message: str = "rate limited", *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


__all__ = ["BusinessError", "InvalidArgument", "PayloadTooLarge", "PermissionDenied", "RateLimited", "Unauthenticated"]
