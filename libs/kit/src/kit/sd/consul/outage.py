"""Logging an outage once: a loop that retries every second must not write a line every second."""

from __future__ import annotations

import logging


class OutageLog:
    """Remembers what is currently failing, so each outage is logged when it starts and when it ends.

    `kind` names the failure ("unreachable", "acl", ...): a different kind of failure during an outage is a new
    problem and is logged again; the same kind again is not.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._kind: str | None = None

    @property
    def failing(self) -> bool:
        """True while a failure has been logged and nothing has succeeded since."""
        return self._kind is not None

    def failed(self, kind: str, message: str, *args: object, level: int = logging.WARNING) -> bool:
        """Logs `message` unless this kind of failure is already being reported; True when it logged."""
        if kind == self._kind:
            return False
        self._kind = kind
        self._logger.log(level, message, *args)
        return True

    def recovered(self, message: str, *args: object) -> None:
        """Logs `message` (at INFO) when something was failing, and forgets the failure."""
        if self._kind is None:
            return
        self._kind = None
        self._logger.info(message, *args)
