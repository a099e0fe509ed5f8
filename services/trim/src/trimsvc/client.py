"""How other services call trim: the only module of trim that another service may import.

It knows the kit and trim's generated protobuf code, nothing else of trim. `new` builds the whole client in one
place: per instance a TrimSpace endpoint on its own channel, counted and watched by outlier detection; over them a
round robin that avoids failing and slow instances, and a retry with a budget and hedging (TrimSpace is idempotent).
`Client` is the result: a trim service whose calls go over the network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from opentelemetry.trace import Tracer

from kit import tracing
from kit.endpoint import Endpoint, chain
from kit.metrics import Metrics
from kit.sd import Closer, DefaultEndpointer, Instancer
from kit.sd.lb import Budget, Hedge, Outliers, Policy, RoundRobin, retry
from kit.transport.grpc import client_endpoint
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

TRIM_SPACE_METHOD = "/pb.Trim/TrimSpace"
SERVICE_NAME = "trim"
"""The name trim registers under in Consul."""

CLOSE_GRACE = 5.0
"""Seconds the calls still in flight on the channel of an instance that left get to finish."""

CHANNEL_OPTIONS = (("grpc.initial_reconnect_backoff_ms", 200), ("grpc.max_reconnect_backoff_ms", 2000))
"""grpc's reconnect backoff grows to 120 s by default: an instance restarted on the same address would stay
unreachable through it long after it serves again. Its circuit's trials (at most 5 s apart) find it within 2 s."""


def _encode(s: str) -> TrimRequest:
    return TrimRequest(s=s)


def _decode(reply: TrimResponse) -> str:
    return reply.s


def trim_space_endpoint(
    channel: grpc.aio.Channel, *, tracer: Tracer | None = None, instance: str | None = None
) -> Endpoint[str, str]:
    """An endpoint that calls /pb.Trim/TrimSpace on `channel`: a string in, the string without spaces out.
    With a tracer, each call is a client span naming `instance`."""
    return client_endpoint(
        channel,
        TRIM_SPACE_METHOD,
        request_type=TrimRequest,
        response_type=TrimResponse,
        encode=_encode,
        decode=_decode,
        tracer=tracer,
        instance=instance,
    )


class Client:
    """A trim service made of an endpoint: `await Client(endpoint).trim_space("a b")` gives "ab"."""

    def __init__(self, endpoint: Endpoint[str, str], *, close: Callable[[], Awaitable[None]] | None = None) -> None:
        self._endpoint = endpoint
        self._close = close

    async def trim_space(self, s: str) -> str:
        return await self._endpoint(s)

    async def close(self) -> None:
        """Closes every channel (waiting for calls in flight) and stops following the instances."""
        if self._close is not None:
            await self._close()


def new(
    instancer: Instancer,
    *,
    policy: Policy,
    metrics: Metrics,
    tracer: Tracer | None = None,
    hedge_when: Callable[[], bool] | None = None,
) -> Client:
    """trim over the network: each call goes round robin to an instance `instancer` reports, as `policy` says;
    hedged (if the policy hedges) only while `hedge_when` says so."""
    target = SERVICE_NAME
    outliers = Outliers(
        target,
        breaker=policy.breaker,
        slow_after=policy.slow_after,
        on_state=lambda instance, state: metrics.circuit_state(target, instance)(state),
    )

    def factory(instance: str) -> tuple[Endpoint[str, str], Closer]:
        channel = grpc.aio.insecure_channel(instance, options=CHANNEL_OPTIONS)
        metrics.circuit_state(target, instance)(0)
        watched = outliers.watch(instance)
        endpoint = chain(
            metrics.client(target, instance),  # kit_client_requests_total, by instance and outcome
            watched.middleware,  # its circuit breaker and its answer times
        )(trim_space_endpoint(channel, tracer=tracer, instance=instance))

        async def close() -> None:
            watched.forget()
            metrics.remove_instance(target, instance)
            await channel.close(CLOSE_GRACE)

        return endpoint, close

    endpointer = DefaultEndpointer(instancer, factory, on_instances=metrics.instances_gauge(target))
    balanced = retry(
        policy.attempts,
        policy.timeout,
        RoundRobin(endpointer, outliers=outliers),
        budget=Budget(
            ratio=policy.budget_ratio,
            per_second=policy.budget_per_second,
            on_exhausted=metrics.budget_exhausted_counter(target),
        ),
        hedge=Hedge(delay=policy.hedge_delay, when=hedge_when) if policy.hedge else None,
        on_retry=metrics.retry_counter(target),
        on_hedge=metrics.hedge_counter(target),
    )
    endpoint = tracing.span(tracer, "trim retry", attributes={"peer.service": target})(balanced)
    return Client(endpoint, close=endpointer.close)


__all__ = ["CLOSE_GRACE", "SERVICE_NAME", "TRIM_SPACE_METHOD", "Client", "new", "trim_space_endpoint"]
