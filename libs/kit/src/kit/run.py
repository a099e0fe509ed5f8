"""Runs a service's servers and background actors together, and stops them in the right order.

On SIGTERM or SIGINT an instance first reports not serving (HTTP `/health` and gRPC health both follow one
`Serving` flag), deregisters from Consul, lets in-flight requests finish within a grace period, then stops its
actors and closes what it holds. A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Protocol

import uvicorn

_log = logging.getLogger(__name__)


class Serving:
    """Whether the instance takes work. Health endpoints read it; listeners hear every change."""

    def __init__(self) -> None:
        self._serving = False
        self._listeners: list[Callable[[bool], None]] = []

    def __bool__(self) -> bool:
        return self._serving

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


class _QuietUvicorn(uvicorn.Server):
    # kit.run owns the signals: uvicorn must not install handlers of its own and swallow the second signal.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    """Binds a listening TCP socket up front, so port 0 works and the bound port is known before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """An ASGI app served by uvicorn on a socket bound at construction."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, grace: float = 10.0) -> None:
        self.socket = bind_socket(host, port)
        self.host = host
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=max(1, round(grace)),
            server_header=False,
        )
        self._server = _QuietUvicorn(config)

    async def serve(self) -> None:
        """Serves until `stop()`; in-flight requests finish within the grace period."""
        await self._server.serve(sockets=[self.socket])

    def stop(self, *, force: bool = False) -> None:
        """Stops accepting connections; with `force`, drops the in-flight ones too."""
        self._server.should_exit = True
        if force:
            self._server.force_exit = True


class Registrar(Protocol):
    """What kit.run needs of a registrar (kit.sd.consul.Registrar fits)."""

    async def register(self) -> None: ...

    async def deregister(self) -> None: ...

    async def run(self) -> None: ...


class GrpcServer(Protocol):
    """What kit.run needs of a grpc.aio server."""

    async def stop(self, grace: float | None) -> Any: ...

    async def wait_for_termination(self, timeout: float | None = None) -> bool: ...  # noqa: ASYNC109


async def run(
    *,
    http: HttpServer,
    grpc_server: GrpcServer,
    serving: Serving,
    registrar: Registrar | None = None,
    actors: Sequence[Callable[[], Awaitable[None]]] = (),
    closers: Sequence[Callable[[], Awaitable[None]]] = (),
    grace: float = 10.0,
    stop: asyncio.Event | None = None,
    freeze: bool = True,
) -> None:
    """Serves until a signal (or `stop` is set), then shuts down in order.

    Order on the way down: not serving -> deregister -> stop HTTP and gRPC within `grace` -> cancel `actors` ->
    await `closers`. A second signal during that skips the grace period.

    With `freeze` (the default), everything built before serving (modules, the app, the onion) is moved out of
    the garbage collector's sight while serving (`gc.freeze`), and given back on the way out.
    """
    if freeze:
        # The oldest generation holds every object of the imported libraries: each full collection walks them
        # all, tens of milliseconds added to whichever requests are in flight. None of them is garbage.
        gc.collect()
        gc.freeze()
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    hurry = asyncio.Event()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            _log.warning("second signal: stopping now", extra={"signal": signal.Signals(signum).name})
            hurry.set()
            http.stop(force=True)
        else:
            _log.info("signal received: draining", extra={"signal": signal.Signals(signum).name})
            stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)

    http_task = asyncio.create_task(http.serve(), name="http")
    grpc_task = asyncio.create_task(grpc_server.wait_for_termination(), name="grpc")
    actor_tasks = [asyncio.create_task(_guard(actor), name=f"actor-{i}") for i, actor in enumerate(actors)]
    registrar_task = asyncio.create_task(_keep_registered(registrar), name="registrar") if registrar else None
    serving.set(True)
    stop_task = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stop_task, http_task, grpc_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        serving.set(False)
        if registrar_task is not None:
            registrar_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await registrar_task
        if registrar is not None:
            await _quietly(registrar.deregister(), "deregister")
        http.stop()
        drain: asyncio.Future[Any] = asyncio.gather(
            grpc_server.stop(0.0 if hurry.is_set() else grace), http_task, return_exceptions=True
        )
        hurry_task: asyncio.Future[Any] = asyncio.create_task(hurry.wait())
        await asyncio.wait({drain, hurry_task}, timeout=grace + 2, return_when=asyncio.FIRST_COMPLETED)
        if not drain.done():  # a second signal, or the grace period is over: drop what is left
            http.stop(force=True)
            await _quietly(_discard(grpc_server.stop(0)), "grpc stop")
            await asyncio.wait({drain}, timeout=2)
        for task in (*actor_tasks, stop_task, hurry_task, grpc_task):
            task.cancel()
        await asyncio.gather(*actor_tasks, stop_task, hurry_task, grpc_task, return_exceptions=True)
        for close in closers:
            await _quietly(close(), "close")
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if freeze:
            gc.unfreeze()
        _log.info("stopped")


async def _keep_registered(registrar: Registrar) -> None:
    try:
        await registrar.register()
    except Exception as exc:  # Consul down or refusing: the run loop below keeps trying
        _log.warning("registration failed, will retry: %s", exc)
    await registrar.run()


async def _guard(actor: Callable[[], Awaitable[None]]) -> None:
    try:
        await actor()
    except asyncio.CancelledError:
        raise
    except Exception:
        _log.exception("background actor failed")


async def _discard(step: Awaitable[Any]) -> None:
    await step


async def _quietly(step: Awaitable[None], what: str) -> None:
    try:
        await step
    except Exception as exc:
        _log.warning("%s failed: %s", what, exc)


__all__ = ["GrpcServer", "HttpServer", "Registrar", "Serving", "bind_socket", "run"]
