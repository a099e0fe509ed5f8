"""Serving a service built inside out: gRPC with health and reflection, HTTP, a Consul registration, and the
shutdown in order, as one group of actors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import grpc
from fastapi import FastAPI

from kit import run as kitrun
from kit.edge import Edge
from kit.metrics import Metrics
from kit.run import Serving
from kit.sd.consul import ConsulConfig, Registrar, Registration
from kit.sd.consul import client as consul_client
from kit.serve.listen import CannotListen, listen
from kit.serve.refusals import refusals
from kit.transport.grpc import Health
from kit.transport.http import OnRefused, report_refusals

S = TypeVar("S")


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


async def listen_and_serve(
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
        http, grpc_server, grpc_port = await listen(onion, service, grpc_service, cfg, serving, health, on_refused)
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


async def _close(closers: Sequence[Callable[[], Awaitable[None]]], logger: logging.Logger) -> None:
    for close in closers:
        try:
            await close()
        except Exception as exc:
            logger.warning("close failed: %s", exc)


__all__ = ["Listening", "Onion", "listen_and_serve"]
