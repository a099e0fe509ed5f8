"""add's composition root: reads the configuration, builds the onion inside out, serves it, registers in Consul,
and shuts down in order. The only module of add that knows every layer, and the only one that knows trim.

What wraps what, innermost first:
- service: BasicService <- trim_first(trim client) <- business metrics <- logging;
- endpoints, per method: rate limit <- auth <- request log line <- load shedding (one limit for the service) <-
  request metrics (outermost, so refusals are counted);
- transports: HTTP (FastAPI) and gRPC over the same endpoints; over HTTP the shedder's gate answers first;
- the trim client (trimsvc.client.new): per instance a gRPC endpoint <- outlier detection <- instance metrics;
  over them round robin (avoiding failing and slow instances) <- retry with budget and hedging (none while add
  is overloaded) <- a trace span.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from addsvc import middleware as mw
from addsvc.config import SERVICE, Config
from addsvc.endpoints import Set, make_concat_endpoint, make_sum_endpoint
from addsvc.service import BasicService, Service, Trimmer, trim_first
from addsvc.transport import grpc as grpc_transport
from addsvc.transport import http as http_transport
from kit import log as kitlog
from kit import overload, ratelimit
from kit import serve as kitserve
from kit.endpoint import Middleware, chain
from kit.metrics import Metrics
from kit.run import Serving
from kit.sd import FixedInstancer
from kit.sd.consul import ConsulInstancer
from kit.sd.consul import client as consul_client
from kit.tracing import Tracing
from trimsvc import client as trimclient

Onion = kitserve.Onion[Set]
"""add built inside out, ready to serve: the endpoints and both transports over them."""


def build(
    cfg: Config,
    *,
    trimmer: Trimmer,
    metrics: Metrics,
    serving: Serving,
    logger: logging.Logger,
    tracer: Tracer | None = None,
    shedder: overload.Shedder | None = None,
) -> Onion:
    """Builds service, endpoints and transports around a given trimmer (a real client, or a fake in tests); `shedder`
    is the service's (serve shares it with the trim client), a new one when not given."""
    ints = metrics.counter("add_integers_summed_total", "Integers summed by Sum.")
    chars = metrics.counter("add_characters_concatenated_total", "Characters in the results of Concat.")
    svc: Service = BasicService(max_concat_length=cfg.max_concat_length)
    svc = trim_first(trimmer)(svc)
    svc = mw.business_metrics(integers_summed=ints.inc, characters_concatenated=chars.inc)(svc)
    svc = mw.logging_middleware(logger)(svc)

    shedder = shedder or overload.Shedder.on_loop(cfg.shed)  # one for both methods: the limit is the service's
    metrics.shedder_gauges(limit=shedder.limit, lag=shedder.lag)

    def middleware(method: str) -> Middleware[Any, Any]:
        return chain(
            metrics.endpoint(method),  # outermost: every request counted and timed, refused ones too
            overload.shedding(shedder, on_shed=metrics.shed_counter(method)),  # before any work; not logged each
            kitlog.endpoint_logging(logger, service=SERVICE, method=method),
            cfg.auth.middleware(),  # before the rate limit, which then keys on the verified identity
            ratelimit.limit(cfg.ratelimits[method], on_reject=metrics.ratelimit_rejected(method)),
        )

    endpoints = Set(
        sum_endpoint=middleware("Sum")(make_sum_endpoint(svc)),
        concat_endpoint=middleware("Concat")(make_concat_endpoint(svc)),
    )
    rejected = kitserve.rejections(service=SERVICE, metrics=metrics, logger=logger)
    app = http_transport.make_app(
        endpoints,
        is_serving=serving.is_serving,
        registry=metrics.registry,
        max_body_bytes=cfg.max_body_bytes,
        timeout=cfg.request_timeout,
        tracer=tracer,
        rejected=rejected,
        # Over HTTP the same shedder first refuses at the gate, before a byte of the request is read.
        shed=lambda method: shedder.gate(metrics.shed_counter(method, transport="http")),
    )
    grpc_handlers = grpc_transport.handlers(endpoints, timeout=cfg.request_timeout, tracer=tracer, rejected=rejected)
    return Onion(endpoints, app, grpc_handlers)


def trim_instancer(cfg: Config) -> FixedInstancer | ConsulInstancer:
    """Where trim instances come from: the fixed TRIM_INSTANCES list when set, else Consul."""
    if cfg.trim_instances:
        return FixedInstancer(cfg.trim_instances)
    return ConsulInstancer(consul_client(cfg.consul), trimclient.SERVICE_NAME, grace=cfg.trim_discovery_grace)


async def serve(cfg: Config, *, stop: asyncio.Event | None = None, tracing: Tracing | None = None) -> None:
    """Runs add until a signal (or `stop`): builds the onion, serves HTTP and gRPC, registers in Consul."""
    logger = logging.getLogger("addsvc")
    metrics = Metrics(CollectorRegistry(), service=SERVICE)
    tracing = tracing or Tracing()
    instancer = trim_instancer(cfg)
    if isinstance(instancer, ConsulInstancer):
        await instancer.start()
    shedder = overload.Shedder.on_loop(cfg.shed)

    # No hedge while add is overloaded: a trim call is then slow because add's own loop is behind, and a hedge
    # would only add calls (measured: hedging cut the requests add served under a 4x overload by a quarter).
    def keeping_up() -> bool:
        return not shedder.overloaded()

    trim = trimclient.new(instancer, policy=cfg.trim, metrics=metrics, tracer=tracing.tracer, hedge_when=keeping_up)
    serving = Serving()
    onion = build(
        cfg, trimmer=trim, metrics=metrics, serving=serving, logger=logger, tracer=tracing.tracer, shedder=shedder
    )
    # What is built now lives as long as the process. Collected and frozen here, out of the collector's sight, it
    # costs no request a full collection: without this one came within the first 20,000 requests (0.1-0.3 s).
    gc.collect()
    gc.freeze()
    await kitserve.listen_and_serve(
        onion,
        service=SERVICE,
        grpc_service=grpc_transport.GRPC_SERVICE,
        cfg=cfg,
        serving=serving,
        logger=logger,
        metrics=metrics,
        closers=(trim.close, instancer.stop, tracing.close),
        stop=stop,
    )


def main() -> None:
    """Entry point of `python -m addsvc` and the `addsvc` command: a bad setting or a port in use is one line
    naming its variable, and exit status 2."""
    cfg, tracing = kitserve.configure(SERVICE, Config.from_env)
    kitserve.run(SERVICE, serve(cfg, tracing=tracing))


__all__ = ["Onion", "build", "main", "serve", "trim_instancer"]
