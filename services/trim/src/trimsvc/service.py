"""trim's business: remove the spaces from a string. No transport, metrics or discovery code lives here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Service(Protocol):
    """What trim offers, whatever carries the call."""

    async def trim_space(self, s: str) -> str:
        """Returns `s` without any U+0020 space, wherever it stands."""
        ...


ServiceMiddleware = Callable[[Service], Service]
"""Wraps a Service in behaviour (logging, say) and is a Service itself."""


class BasicService:
    """The plain implementation of trim."""

    async def trim_space(self, s: str) -> str:
        return s.replace(" ", "")


__all__ = ["BasicService", "Service", "ServiceMiddleware"]
