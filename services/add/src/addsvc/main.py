"""add's composition root: reads the configuration, builds the onion inside out, serves it, registers in Consul,
and shuts down in order. The only module of add that knows every layer, and the only one that knows trim."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from addsvc import middleware as mw
from addsvc.config import Config
from addsvc.endpoints import Set
from addsvc.service import BasicService, Service, Trimmer, trim_first
from addsvc.transport import grpc as grpc_transport
from addsvc.transport import http as http_transport
from kit import serve as kitserve
from kit import tracing as kittracing
from kit.circuitbreaker import Breaker, circuit_breaker
from kit.endpoint import Endpoint, Middleware, chain
from kit.metrics import Metrics
from kit.run import Serving
from kit.sd import FixedInstancer, Instancer
from kit.sd.consul import ConsulInstancer, client_from_env
from kit.sd.endpointer import Closer, DefaultEndpointer
from kit.sd.lb import RoundRobin, retry
from kit.tracing import Tracing
from trimsvc import client as trimclient

SERVICE = "add"


Onion = kitserve.Onion[Set]
"""add built inside out, ready to serve: the endpoints and both transports over them."""


def build(
    cfg: Config,
    *,
    trimmer: Trimmer,
    metrics: Metrics,
    serving: Serving,
    logger: logging.Logger,
    env: Mapping[str, str] = os.environ,
    tracer: Tracer | None = None,
) -> Onion:
    """Builds service, endpoints and transports around a given trimmer (a real client, or a fake in tests).
    Rate limits come from `env` (ADD_RATELIMIT_*)."""
    ints = metrics.counter("add_integers_summed_total", "Integers summed by Sum.")
    chars = metrics.counter("add_characters_concatenated_total", "Characters in the results of Concat.")
    svc: Service = BasicService(max_concat_length=cfg.max_concat_length)
    svc = trim_first(trimmer)(svc)
    svc = mw.business_metrics(integers_summed=ints.inc, characters_concatenated=chars.inc)(svc)
    svc = mw.logging_middleware(logger)(svc)

    middleware = kitserve.endpoint_middleware(service=SERVICE, metrics=metrics, logger=logger, env=env)
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


def trim_instancer(cfg: Config) -> Instancer | ConsulInstancer:
    """Where trim instances come from: the fixed TRIM_INSTANCES list when set, else Consul."""
    if cfg.trim_instances:
        return FixedInstancer(cfg.trim_instances)
    return ConsulInstancer(client_from_env(), trimclient.SERVICE_NAME)


def trim_client(
    cfg: Config, instancer: Instancer, metrics: Metrics, *, tracer: Tracer | None = None
) -> tuple[Trimmer, DefaultEndpointer]:
    """The trimmer add's Concat uses: retry(attempts, timeout, RoundRobin(Endpointer(instancer, factory))), the
    factory making a gRPC endpoint per trim instance on its own channel, behind its own circuit breaker and
    counted per instance; the series of an instance that leaves are dropped with its channel."""
    target = trimclient.SERVICE_NAME

    def per_instance(instance: str) -> Middleware[str, str]:
        on_state = metrics.circuit_state(target, instance)
        on_state(0)
        breaker = Breaker(
            f"trim {instance}",
            failures=cfg.breaker_failures,
            reset_timeout=cfg.breaker_reset,
            on_state=on_state,
        )
        return chain(metrics.client(target, instance), circuit_breaker(breaker))

    grpc_factory = trimclient.grpc_factory(middleware=per_instance, tracer=tracer)

    def factory(instance: str) -> tuple[Endpoint[Any, Any], Closer]:
        endpoint, close = grpc_factory(instance)

        async def closer() -> None:
            await close()
            metrics.remove_endpoint(target, instance)

        return endpoint, closer

    endpointer = DefaultEndpointer(instancer, factory, on_instances=metrics.instances_gauge(target))
    endpoint = retry(
        cfg.trim_attempts, cfg.trim_timeout, RoundRobin(endpointer), on_retry=metrics.retry_counter(target)
    )
    endpoint = kittracing.span(tracer, "trim retry", attributes={"peer.service": target})(endpoint)
    return trimclient.Client(endpoint), endpointer


async def serve(cfg: Config, *, stop: asyncio.Event | None = None, tracing: Tracing | None = None) -> None:
    """Runs add until a signal (or `stop`): builds the onion, serves HTTP and gRPC, registers in Consul."""
    logger = logging.getLogger("addsvc")
    registry = CollectorRegistry()
    metrics = Metrics(registry, service=SERVICE)
    instancer = trim_instancer(cfg)
    if isinstance(instancer, ConsulInstancer):
        await instancer.start()
    tracing = tracing or Tracing()
    trimmer, endpointer = trim_client(cfg, instancer, metrics, tracer=tracing.tracer)
    serving = Serving()
    onion = build(cfg, trimmer=trimmer, metrics=metrics, serving=serving, logger=logger, tracer=tracing.tracer)

    await kitserve.serve(
        onion,
        service=SERVICE,
        grpc_service=grpc_transport.SERVICE,
        cfg=cfg,
        serving=serving,
        logger=logger,
        closers=(endpointer.close, instancer.stop, tracing.close),
        stop=stop,
    )


def main() -> None:
    """Entry point of `python -m addsvc` and the `addsvc` command."""
    kitserve.main(
        service=SERVICE,
        methods=("Sum", "Concat"),
        load=Config.from_env,
        serve=lambda cfg, tracing: serve(cfg, tracing=tracing),
    )


__all__ = ["Onion", "build", "main", "serve", "trim_instancer"]
