"""Standard gRPC health checking (`grpc.health.v1.Health`) for the whole server and each service it serves.

Consul's gRPC check, grpc_health_probe and load balancers ask it whether to send traffic; `kit.run` flips it to
NOT_SERVING before a drain so they stop doing so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from grpc_health.v1 import health_pb2
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]  # grpc-stubs lacks the aio part

OVERALL = ""
"""The service name that stands for the whole server."""


class Health:
    """The serving status of a server and its services, kept by grpc_health's asyncio HealthServicer.

    Starts NOT_SERVING (unless `serving=True`): a server is ready only when its owner says so. The servicer's `set`
    is a coroutine, so a status set before the event loop runs is remembered and `apply`d by `start_server`
    before the server takes its first call.
    """

    def __init__(self, services: Sequence[str], *, serving: bool = False) -> None:
        self.servicer: Any = health_aio.HealthServicer()
        """The servicer to add to a server (`start_server(..., health=...)` does it)."""
        self.services: tuple[str, ...] = tuple(dict.fromkeys((OVERALL, *services)))
        """Every name this health reports on, the whole server (`""`) first."""
        self._serving = serving
        self._pending: set[asyncio.Task[None]] = set()

    async def apply(self) -> None:
        """Gives the servicer the current status of every name; `start_server` awaits it before serving."""
        status = _status(self._serving)
        for name in self.services:
            await self.servicer.set(name, status)

    def set_serving(self, serving: bool) -> None:
        """Marks the server and every named service SERVING or NOT_SERVING, and tells watchers.

        Call it from the event loop that runs the server, or before any loop runs (then `apply` passes it on).
        """
        self._serving = serving
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        # The servicer's `set` may have to wait for a watcher to release its lock; the task sets the names in
        # order and tasks start in order, so the last call wins.
        task = loop.create_task(self.apply())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


def _status(serving: bool) -> Any:
    return health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
