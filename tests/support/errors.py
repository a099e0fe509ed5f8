"""One of each error the kit knows, and a plain exception (a bug), with the outcome code each is counted and logged
under: the table the middleware tests share."""

from __future__ import annotations

from kit.errors import (
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
)

OUTCOMES: list[tuple[Exception, str]] = [
    (BusinessError("integer overflow"), "business"),
    (InvalidArgument("missing a"), "invalid_argument"),
    (PayloadTooLarge("too big"), "too_large"),
    (RateLimited(), "rate_limited"),
    (Unavailable("no trim"), "unavailable"),
    (ConnectionFailed("refused"), "unavailable"),
    (DeadlineExceeded("late"), "deadline_exceeded"),
    (Internal("bug"), "internal"),
    (ValueError("not a kit error"), "internal"),
]
