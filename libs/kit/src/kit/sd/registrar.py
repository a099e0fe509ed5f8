"""Registrars: how an instance puts itself into a service registry and takes itself out again."""

from __future__ import annotations

from typing import Protocol


class Registrar(Protocol):
    """Announces one instance of a service to a registry, so instancers elsewhere find it.

    A process registers once it serves and deregisters before it stops serving, so no caller is sent to an
    instance that is going away. `kit.sd.consul.Registrar` is the Consul implementation.
    """

    async def register(self) -> None:
        """Adds the instance to the registry."""
        ...

    async def deregister(self) -> None:
        """Removes the instance from the registry; safe to call when it is not registered."""
        ...
