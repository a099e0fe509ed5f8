"""What an error says about the instance that raised it, as a breaker judges it: whether it counts as a failure,
whether it opens the circuit at once, whether it is the instance's own answer (see `kit.circuitbreaker.breaker`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from kit.errors import ConnectionFailed, DeadlineExceeded, Internal, KitError, Unavailable

Judge: TypeAlias = Callable[[BaseException], bool]
"""Says something of an error: whether it counts against the instance, whether it opens the circuit at once."""


def instance_failure(exc: BaseException) -> bool:
    """True for errors that say the instance itself cannot serve: unreachable, UNAVAILABLE, internal error."""
    if isinstance(exc, KitError):
        return isinstance(exc, (Unavailable, Internal))
    return isinstance(exc, Exception) and not isinstance(exc, TimeoutError)


def answered(exc: BaseException) -> bool:
    """True when the error is the instance's answer (a business error, a bad request, a rate limit): it is there."""
    return isinstance(exc, KitError) and not isinstance(exc, (Unavailable, Internal, DeadlineExceeded))


def unreachable(exc: BaseException) -> bool:
    """True when the instance could not be reached at all (refused, reset): no reason to try it again soon."""
    return isinstance(exc, ConnectionFailed)


__all__ = ["Judge", "answered", "instance_failure", "unreachable"]
