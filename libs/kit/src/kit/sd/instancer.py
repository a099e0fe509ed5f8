"""Instancers: where the current set of instances of a service comes from.

An instance is the address of one process, `host:port` (for gRPC targets, its gRPC address). An instancer tells its
listeners about every change of the set; a listener is called at once with the current state when it registers.
Instancers whose set changes over time build on `kit.sd.broadcaster.Broadcaster`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Event:
    """One state of the instance set: the instances, or the error that stopped the source from knowing them.

    After an error the listeners keep what they had: an instancer that loses its source reports the error and
    leaves the decision to drop instances to its consumers.
    """

    instances: tuple[str, ...] = ()
    error: Exception | None = None


Listener = Callable[[Event], None]
"""Receives every instancer event, on the event loop's thread."""


class Instancer(Protocol):
    """A source of instance-set events that listeners subscribe to."""

    def register(self, listener: Listener) -> None:
        """Starts sending events to `listener`, beginning with the current state."""
        ...

    def deregister(self, listener: Listener) -> None:
        """Stops sending events to `listener`."""
        ...

    async def stop(self) -> None:
        """Stops following the source; listeners get no more events."""
        ...


class FixedInstancer:
    """An instancer over a list that never changes: static configuration and tests."""

    def __init__(self, instances: Sequence[str]) -> None:
        self._event = Event(instances=tuple(instances))
        self._listeners: list[Listener] = []

    def register(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener(self._event)

    def deregister(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def stop(self) -> None:
        self._listeners.clear()
