"""trim's composition root: reads the configuration, builds the onion inside out, serves it, registers in Consul,
and shuts down in order."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import uvloop
from fastapi import FastAPI
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from kit import log as kitlog
from kit import tracing as kittracing
from kit.endpoint import Middleware, chain
from kit.env import ConfigError
from kit.metrics import Metrics
from kit.ratelimit import from_env as ratelimit_from_env
from kit.ratelimit import read_config as read_ratelimit_config
from kit.run import HttpServer, Serving, run
from kit.sd.consul import Registrar, Registration, client_from_env
from kit.tracing import Tracing
from kit.transport.grpc import Health, start_server
from trimsvc.config import Config
from trimsvc.endpoints import Set
from trimsvc.middleware import delayed
from trimsvc.service import BasicService, Service
from trimsvc.transport import grpc as grpc_transport
from trimsvc.transport import http as http_transport

SERVICE = "trim"


@dataclass(frozen=True, slots=True)
class Onion:
    """trim built inside out, ready to serve: the endpoints and both transports over them."""

    endpoints: Set
    app: FastAPI
    grpc_handlers: Sequence[grpc.GenericRpcHandler[Any, Any]]


def build(
    cfg: Config,
    *,
    metrics: Metrics,
    serving: Serving,
    logger: logging.Logger,
    env: Mapping[str, str] = os.environ,
    tracer: Tracer | None = None,
) -> Onion:
    """Builds service, endpoints and transports. Rate limits come from `env` (TRIM_RATELIMIT_*)."""
    svc: Service = BasicService()
    if cfg.delay > 0:
        svc = delayed(cfg.delay)(svc)

    def middleware(method: str) -> Middleware[Any, Any]:
        stack: list[Middleware[Any, Any]] = [
            metrics.endpoint(method),
            kitlog.endpoint_logging(logger, service=SERVICE, method=method),
        ]
        limit = ratelimit_from_env(SERVICE, method, env, on_reject=metrics.ratelimit_rejected(method))
        if limit is not None:
            stack.append(limit)
        return chain(*stack)

    endpoints = Set.build(svc, middleware=middleware)
    app = http_transport.make_app(
        endpoints,
        is_serving=serving.is_serving,
        registry=metrics.registry,
        max_body_bytes=cfg.max_body_bytes,
        timeout=cfg.request_timeout,
        tracer=tracer,
    )
    return Onion(endpoints, app, grpc_transport.handlers(endpoints, timeout=cfg.request_timeout, tracer=tracer))


async def serve(cfg: Config, *, stop: asyncio.Event | None = None, tracing: Tracing | None = None) -> None:
    """Runs trim until a signal (or `stop`): serves gRPC and HTTP, registers in Consul."""
    logger = logging.getLogger("trimsvc")
    metrics = Metrics(CollectorRegistry(), service=SERVICE)
    serving = Serving()
    tracing = tracing or Tracing()
    onion = build(cfg, metrics=metrics, serving=serving, logger=logger, tracer=tracing.tracer)

    health = Health([grpc_transport.SERVICE])
    serving.listen(health.set_serving)
    grpc_server, grpc_port = await start_server(
        onion.grpc_handlers, host=cfg.host, port=cfg.grpc_port, health=health, reflection=[grpc_transport.SERVICE]
    )
    http = HttpServer(onion.app, host=cfg.host, port=cfg.http_port, grace=cfg.grace)
    registrar = None
    if cfg.register:
        registration = Registration(
            name=SERVICE, address=cfg.advertise_host, port=grpc_port, http_port=http.port, check="grpc"
        )
        registrar = Registrar(client_from_env(), registration)
    logger.info("trim serving", extra={"grpc": f"{cfg.host}:{grpc_port}", "http": f"{cfg.host}:{http.port}"})
    await run(
        http=http,
        grpc_server=grpc_server,
        serving=serving,
        registrar=registrar,
        closers=(tracing.close,),
        grace=cfg.grace,
        stop=stop,
    )


def main() -> None:
    """Entry point of `python -m trimsvc` and the `trimsvc` command."""
    kitlog.from_env(service=SERVICE)
    try:
        cfg = Config.from_env()
        for method in ("TrimSpace",):
            read_ratelimit_config(SERVICE, method, os.environ)
        tracing = kittracing.from_env(service=SERVICE)
    except (ConfigError, ValueError, kittracing.MissingExporter) as exc:
        print(f"trimsvc: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    uvloop.run(serve(cfg, tracing=tracing))


__all__ = ["Onion", "build", "main", "serve"]
