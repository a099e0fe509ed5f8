"""What every kit service does the same way in its composition root: recording refused requests, serving the
onion over gRPC and HTTP with health, reflection and a Consul registration, and a `main` that refuses bad
configuration before anything starts. Each service's main.py keeps what is its own: building the onion."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import grpc
import uvloop
from fastapi import FastAPI

from kit import log as kitlog
from kit import run as kitrun
from kit import tracing as kittracing
from kit.edge import Edge
from kit.endpoint import Middleware, Rejected, chain
from kit.env import ConfigError
from kit.metrics import Metrics
from kit.run import HttpServer, Serving
from kit.sd.consul import ConsulConfig, Registrar, Registration
from kit.sd.consul import client as consul_client
from kit.tracing import Tracing
from kit.transport.grpc import Health, start_server
from kit.transport.http import OnRefused, report_refusals

S = TypeVar("S")
C = TypeVar("C", bound="Configured")


@dataclass(frozen=True)  # no slots: typing sets __orig_class__ on instances made through Onion[X](...)
class Onion(Generic[S]):
    """A service built inside out, ready to serve: its endpoint Set and both transports over it."""

    endpoints: S
    app: FastAPI
    grpc_handlers: Sequence[grpc.GenericRpcHandler[Any, Any]]


class Listening(Protocol):
    """The part of a service's configuration that says where and how it serves."""

    @property
    def host(self) -> str: ...
    @property
    def http_port(self) -> int: ...
    @property
    def grpc_port(self) -> int: ...
    @property
    def advertise_host(self) -> str: ...
    @property
    def register(self) -> bool: ...
    @property
    def grace(self) -> float: ...
    @property
    def drain_delay(self) -> float: ...
    @property
    def consul(self) -> ConsulConfig: ...

    @property
    def edge(self) -> Edge: ...


class Configured(Protocol):
    """What `configure` needs of a service's configuration: how to log."""

    @property
    def log(self) -> kitlog.Config: ...


class CannotListen(ConfigError):
    """A server cannot listen where the configuration says; the message names the variable that moves it."""

    @classmethod
    def at(cls, service: str, transport: str, host: str, port: int, exc: OSError) -> CannotListen:
        """Names `<SERVICE>_<TRANSPORT>_PORT`, the variable each kit service reads its port from."""
        prefix = service.upper()
        variable = f"{prefix}_{transport}_PORT"
        if exc.errno == errno.EADDRINUSE:
            return cls(f"{variable}={port}: {host}:{port} is in use; set {variable} to a free port (0 takes any)")
        reason = exc.strerror or str(exc)
        return cls(f"{variable}={port}, {prefix}_HOST={host!r}: cannot listen on {host}:{port}: {reason}")


def observed(*, service: str, metrics: Metrics, logger: logging.Logger) -> Callable[[str], Middleware[Any, Any]]:
    """What sees every request of a method: its metrics (outermost) and its request log line."""

    def middleware(method: str) -> Middleware[Any, Any]:
        return chain(metrics.endpoint(method), kitlog.endpoint_logging(logger, service=service, method=method))

    return middleware


def rejections(*, service: str, metrics: Metrics, logger: logging.Logger) -> Callable[[str], Rejected]:
    """For each method, what records a request refused while decoding: the same metrics and request log line as a
    request the endpoint served, with the refusal's outcome, so a malformed request is counted and logged too."""
    observe = observed(service=service, metrics=metrics, logger=logger)

    def for_method(method: str) -> Rejected:
        middleware = observe(method)

        async def record(exc: Exception) -> None:
            async def refuse(_: Any) -> Any:
                raise exc

            # The refusal comes back out, counted and logged; the transport answers it.
            with contextlib.suppress(Exception):
                await middleware(refuse)(None)

        return record

    return for_method


UNROUTED = "unrouted"
"""The `method` label of HTTP requests refused before any route: on the wire, unknown path, method not allowed."""

_REFUSED_OUTCOMES = {
    400: "invalid_argument",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    414: "too_large",
    431: "too_large",
    503: "overloaded",
}


def refusals(*, service: str, metrics: Metrics, logger: logging.Logger) -> OnRefused:
    """What records an HTTP request refused before any route (see `UNROUTED`): counted in kit_requests_total and
    logged as a request line, with an outcome named after its status."""
    counters = metrics.families.requests

    def refused(status: int, message: str) -> None:
        outcome = _REFUSED_OUTCOMES.get(status, "invalid_argument")
        counters.labels(service, UNROUTED, "http", outcome).inc()
        extra = {"service": service, "method": UNROUTED, "transport": "http", "outcome": outcome, "status": status}
        logger.info(kitlog.EVENT, extra={**extra, "error": message})

    return refused


async def serve(
    onion: Onion[Any],
    *,
    service: str,
    grpc_service: str,
    cfg: Listening,
    serving: Serving,
    logger: logging.Logger,
    closers: Sequence[Callable[[], Awaitable[None]]] = (),
    stop: asyncio.Event | None = None,
    metrics: Metrics,
    on_refused: OnRefused | None = None,
) -> None:
    """Serves `onion` until a signal (or `stop`): gRPC with health and reflection for `grpc_service`, HTTP, and a
    registration in Consul (`cfg.register`) under `service` with a gRPC check; then shuts down in order.
    Both servers keep to `cfg.edge`'s limits. Each HTTP request refused before a route (on the wire, 404, 405) goes
    to `on_refused`, by default `refusals`, which counts it in `metrics` and logs it."""
    health = Health([grpc_service])
    serving.listen(health.set_serving)
    on_refused = on_refused or refusals(service=service, metrics=metrics, logger=logger)
    report_refusals(onion.app, on_refused)
    try:
        http, grpc_server, grpc_port = await _listen(onion, service, grpc_service, cfg, serving, health, on_refused)
    except CannotListen:
        await _close(closers, logger)
        raise
    logger.info(f"{service} serving", extra={"http": f"{cfg.host}:{http.port}", "grpc": f"{cfg.host}:{grpc_port}"})
    # The shutdown order is the order of `add`: stop on a signal, report not serving, leave Consul, keep serving
    # for the drain delay, then stop both servers within the grace period.
    signals = kitrun.Signals(stop)
    group = kitrun.Group()
    group.add(signals.actor())
    group.add(kitrun.serving(serving))
    if cfg.register:
        registration = Registration(
            name=service, address=cfg.advertise_host, port=grpc_port, http_port=http.port, check="grpc"
        )
        group.add(kitrun.registration(Registrar(consul_client(cfg.consul), registration)))
    group.add(
        kitrun.Servers(http, grpc_server, grace=cfg.grace, drain_delay=cfg.drain_delay, hurry=signals.hurry).actor()
    )
    try:
        with signals.installed():
            await group.run()
    finally:
        await _close(closers, logger)
        logger.info("stopped")


async def _listen(
    onion: Onion[Any],
    service: str,
    grpc_service: str,
    cfg: Listening,
    serving: Serving,
    health: Health,
    on_refused: OnRefused,
) -> tuple[HttpServer, grpc.aio.Server, int]:
    """Binds HTTP, then starts gRPC. A port that cannot be bound raises CannotListen, with nothing left bound (a
    gRPC server left to the collector would try to stop itself on a closed event loop)."""
    try:
        http = HttpServer(
            onion.app,
            host=cfg.host,
            port=cfg.http_port,
            grace=cfg.grace,
            closing=lambda: not serving.is_serving(),
            limits=cfg.edge.http,
            on_refused=on_refused,
            trusted_proxies=cfg.edge.trusted_proxies,
        )
    except OSError as exc:
        raise CannotListen.at(service, "HTTP", cfg.host, cfg.http_port, exc) from None
    try:
        grpc_server, grpc_port = await start_server(
            onion.grpc_handlers,
            host=cfg.host,
            port=cfg.grpc_port,
            health=health,
            reflection=[grpc_service],
            limits=cfg.edge.grpc,
        )
    except OSError as exc:
        http.close()
        raise CannotListen.at(service, "GRPC", cfg.host, cfg.grpc_port, exc) from None
    return http, grpc_server, grpc_port


async def _close(closers: Sequence[Callable[[], Awaitable[None]]], logger: logging.Logger) -> None:
    for close in closers:
        try:
            await close()
        except Exception as exc:
            logger.warning("close failed: %s", exc)


def configure(service: str, load: Callable[[], C]) -> tuple[C, Tracing]:
    """What a service's `main` does before its event loop starts: reads its configuration (`load`: every setting,
    logging, Consul, rate limits and shedding included) and its tracing, exits with status 2 and one line naming the
    variable when any is bad, then configures logging as the configuration says."""
    try:
        cfg = load()
        tracing = kittracing.from_env(service=service)
    except (ConfigError, ValueError, kittracing.MissingExporter) as exc:
        print(f"{service}svc: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    # In a JSON log, what gRPC core writes in C to descriptor 2 becomes JSON lines too; call this once, from main.
    stream = kitlog.capture_native_stderr(service=service) if cfg.log.fmt == "json" else None
    kitlog.configure(service=service, fmt=cfg.log.fmt, level=cfg.log.level, stream=stream)
    return cfg, tracing


def run(service: str, main: Coroutine[Any, Any, None]) -> None:
    """Runs a service's `serve(...)` on uvloop until it returns. A port it cannot listen on ends the process with
    one error line naming the variable that sets the port, and exit status 2, as a bad setting does."""
    try:
        uvloop.run(main)
    except CannotListen as exc:
        logging.getLogger(f"{service}svc").error(str(exc))
        raise SystemExit(2) from None


__all__ = ["CannotListen", "Configured", "Listening", "Onion", "configure", "run", "serve"]
