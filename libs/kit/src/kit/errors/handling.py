"""What transports, logs, breakers and retries ask of any exception: the kit error it stands for, its code and
outcome, whether it counts against an instance and which dependency failed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kit.errors.failures import Internal
from kit.errors.vocabulary import CANCELLED, KitError


def as_kit_error(exc: BaseException) -> KitError:
    """`exc` itself when it is a kit error, else an Internal one (a bug): what the transports and the log read.

    A bare TimeoutError is a bug too (a library's socket timeout, say): a transport that bounds a call by the
    request's deadline raises DeadlineExceeded itself when its own timer expires."""
    if isinstance(exc, KitError):
        return exc
    return Internal(str(exc) or type(exc).__name__)


def error_code(exc: BaseException) -> str:
    """The kit code of any exception: a kit error's own, `internal` for any other."""
    return exc.code if isinstance(exc, KitError) else Internal.code


def outcome(exc: BaseException) -> str:
    """The `outcome` of a request that raised `exc`: its kit code, or `cancelled` for a cancellation."""
    return error_code(exc) if isinstance(exc, Exception) else CANCELLED


def is_failure(exc: BaseException) -> bool:
    """True when the error says something about the instance that served it, not about the request."""
    return exc.failure if isinstance(exc, KitError) else True


@contextmanager
def calling(dependency: str) -> Iterator[None]:
    """Names `dependency` in every kit error raised inside, unless a closer caller already named one, so the
    answer says what failed: `with calling("trim"): await trim(s)` makes "trim is unavailable: ..."."""
    try:
        yield
    except KitError as exc:
        if exc.dependency is None:
            exc.dependency = dependency
        raise


__all__ = ["as_kit_error", "calling", "error_code", "is_failure", "outcome"]
