"""One of each error the kit knows, and a plain exception (a bug), with the outcome code each is counted and logged
under: the table the middleware tests share."""

from __future__ import annotations

from kit import errors

OUTCOMES: list[tuple[Exception, str]] = [
    (errors.BusinessError("integer overflow"), "business"),
    (errors.InvalidArgument("missing a"), "invalid_argument"),
    (errors.PayloadTooLarge("too big"), "too_large"),
    (errors.RateLimited(), "rate_limited"),
    (errors.Unavailable("no trim"), "unavailable"),
    (errors.ConnectionFailed("refused"), "unavailable"),
    (errors.DeadlineExceeded("late"), "deadline_exceeded"),
    (errors.Internal("bug"), "internal"),
    (ValueError("not a kit error"), "internal"),
]
