"""The one flag that says whether an instance takes work: HTTP `/health` and gRPC health both follow it."""

from __future__ import annotations

from collections.abc import Callable


class Serving:
    """Whether the instance takes work. Health endpoints read it; listeners hear every change."""

    def __init__(self) -> None:
        self._serving = False
        self._listeners: list[Callable[[bool], None]] = []

    def is_serving(self) -> bool:
        return self._serving

    def listen(self, listener: Callable[[bool], None]) -> None:
        """Calls `listener` with the current state now and with every change later."""
        self._listeners.append(listener)
        listener(self._serving)

    def set(self, serving: bool) -> None:
        self._serving = serving
        for listener in self._listeners:
            listener(serving)


__all__ = ["Serving"]
