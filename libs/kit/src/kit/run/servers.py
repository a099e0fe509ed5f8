"""A service's HTTP and gRPC servers as one actor of a `kit.run.Group`, with a drain that resets nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

from kit.run.group import Actor
from kit.run.http import HttpServer

_log = logging.getLogger("kit.run")


class GrpcServer(Protocol):
    """What kit.run needs of a grpc.aio server."""

    async def stop(self, grace: float | None) -> Any: ...

    async def wait_for_termination(self, timeout: float | None = None) -> bool: ...  # noqa: ASYNC109


class Servers:
    """Serves HTTP and gRPC until interrupted (or until either server ends by itself), then drains.

    The drain, once the instance reports not serving and has left Consul (the actors added before this one):
    1. keeps accepting and serving for `drain_delay` seconds, long enough for callers' discovery to see the
       instance leave; meanwhile every HTTP response closes its connection (`HttpServer(closing=...)`);
    2. stops listening: gRPC sends GOAWAY to every connection and lets in-flight calls finish, HTTP closes idle
       keep-alive connections and lets in-flight requests finish;
    3. drops whatever is left when `grace` seconds have passed since the drain began, or at once when `hurry`
       is set (a second signal).
    """

    def __init__(
        self,
        http: HttpServer,
        grpc_server: GrpcServer,
        *,
        grace: float = 10.0,
        drain_delay: float = 0.0,
        hurry: asyncio.Event | None = None,
    ) -> None:
        self.http = http
        self.grpc_server = grpc_server
        self.grace = grace
        self.drain_delay = drain_delay
        self.hurry = hurry or asyncio.Event()
        self._http_task: asyncio.Task[None] | None = None
        self._grpc_task: asyncio.Task[bool] | None = None

    def actor(self) -> Actor:
        return Actor(self.execute, self.interrupt, "servers")

    async def execute(self) -> None:
        """Serves until both servers have stopped; raises what a server that failed by itself raised."""
        self._http_task = asyncio.create_task(self.http.serve(), name="http")
        self._grpc_task = asyncio.create_task(self.grpc_server.wait_for_termination(), name="grpc")
        done, _ = await asyncio.wait({self._http_task, self._grpc_task}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()

    async def interrupt(self) -> None:
        """Drains as described above; returns when both servers have stopped."""
        started = time.monotonic()
        hurry = asyncio.create_task(self.hurry.wait())
        try:
            if self.drain_delay > 0:
                _log.info(
                    "draining: still serving for %.2fs while callers learn that this instance left", self.drain_delay
                )
                await asyncio.wait({hurry}, timeout=self.drain_delay)
            left = max(self.grace - (time.monotonic() - started), 0.0)
            self.http.stop()
            steps: list[asyncio.Future[Any]] = [
                asyncio.ensure_future(self.grpc_server.stop(0.0 if self.hurry.is_set() else left))
            ]
            if self._http_task is not None:
                steps.append(self._http_task)
            drain = asyncio.gather(*steps, return_exceptions=True)
            pending: set[asyncio.Future[Any]] = {drain, hurry}
            await asyncio.wait(pending, timeout=left + 1.0, return_when=asyncio.FIRST_COMPLETED)
            if not drain.done():  # a second signal, or the grace period is over: drop what is left
                _log.warning("grace period over or second signal: dropping what is still in flight")
                self.http.stop(force=True)
                with contextlib.suppress(Exception):
                    await self.grpc_server.stop(0)
                await asyncio.wait({drain}, timeout=2.0)
        finally:
            hurry.cancel()
            if self._grpc_task is not None:
                self._grpc_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hurry


__all__ = ["GrpcServer", "Servers"]
