"""trim's composition root: reads the configuration, builds the onion inside out, serves it, registers in Consul,
and shuts down in order."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping

import uvloop
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from kit import serve as kitserve
from kit.metrics import Metrics
from kit.run import Serving
from kit.tracing import Tracing
from trimsvc.config import Config
from trimsvc.endpoints import Set
from trimsvc.middleware import delayed
from trimsvc.service import BasicService, Service
from trimsvc.transport import grpc as grpc_transport
from trimsvc.transport import http as http_transport

SERVICE = "trim"

Onion = kitserve.Onion[Set]
"""trim built inside out, ready to serve: the endpoints and both transports over them."""


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
    middleware = kitserve.endpoint_middleware(service=SERVICE, metrics=metrics, logger=logger, env=env)
    rejected = kitserve.rejections(service=SERVICE, metrics=metrics, logger=logger)
    endpoints = Set.build(svc, middleware=middleware)
    app = http_transport.make_app(
        endpoints,
        is_serving=serving.is_serving,
        registry=metrics.registry,
        max_body_bytes=cfg.max_body_bytes,
        timeout=cfg.request_timeout,
        tracer=tracer,
        rejected=rejected,
    )
    grpc_handlers = grpc_transport.handlers(endpoints, timeout=cfg.request_timeout, tracer=tracer, rejected=rejected)
    return Onion(endpoints, app, grpc_handlers)


async def serve(cfg: Config, *, stop: asyncio.Event | None = None, tracing: Tracing | None = None) -> None:
    """Runs trim until a signal (or `stop`): serves gRPC and HTTP, registers in Consul."""
    logger = logging.getLogger("trimsvc")
    metrics = Metrics(CollectorRegistry(), service=SERVICE)
    serving = Serving()
    tracing = tracing or Tracing()
    onion = build(cfg, metrics=metrics, serving=serving, logger=logger, tracer=tracing.tracer)
    await kitserve.serve(
        onion,
        service=SERVICE,
        grpc_service=grpc_transport.SERVICE,
        cfg=cfg,
        serving=serving,
        logger=logger,
        metrics=metrics,
        closers=(tracing.close,),
        stop=stop,
    )


def main() -> None:
    """Entry point of `python -m trimsvc` and the `trimsvc` command: a bad setting is one line and exit status 2."""
    cfg, tracing = kitserve.configure(SERVICE, Config.from_env, methods=("TrimSpace",))
    uvloop.run(serve(cfg, tracing=tracing))


__all__ = ["Onion", "build", "main", "serve"]
