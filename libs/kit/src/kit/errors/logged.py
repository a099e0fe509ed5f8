"""Whether an error is in the log already: the layer that logs an error with its traceback marks it, so the
transports and the app's last-resort handler log a bug once, not once per layer it passes."""

from __future__ import annotations

_LOGGED = "__kit_logged__"


def mark_logged(exc: BaseException) -> None:
    """Notes that `exc` and its traceback are in the log, so an outer layer does not log them a second time."""
    setattr(exc, _LOGGED, True)


def is_logged(exc: BaseException) -> bool:
    """True once `mark_logged(exc)` was called: the request's log line already carries this error."""
    return getattr(exc, _LOGGED, False) is True


__all__ = ["is_logged", "mark_logged"]
