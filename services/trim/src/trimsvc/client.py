"""How other services call trim: the only module of trim that another service may import.

It knows the kit and trim's generated protobuf code, nothing else of trim. `grpc_factory` is the kit.sd Factory
that turns one discovered instance into an endpoint on a channel of its own (closed when the instance leaves);
`Client` turns any such endpoint (a balanced, retried one, say) back into a trim service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc
from opentelemetry.trace import Tracer

from kit.endpoint import Endpoint, Middleware
from kit.sd.endpointer import Closer, Factory
from kit.transport.grpc import client_endpoint
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

TRIM_SPACE_METHOD = "/pb.Trim/TrimSpace"
SERVICE_NAME = "trim"
"""The name trim registers under in Consul."""

InstanceMiddleware = Callable[[str], Middleware[str, str]]
"""Gives the middleware for the endpoint of one instance ("host:port"): a breaker, per-instance metrics."""


def _encode(s: str) -> TrimRequest:
    return TrimRequest(s=s)


def _decode(reply: TrimResponse) -> str:
    return reply.s


def trim_space_endpoint(
    channel: grpc.aio.Channel,
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    instance: str | None = None,
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
        timeout=timeout,
        tracer=tracer,
        instance=instance,
    )


def grpc_factory(
    *,
    timeout: float | None = None,
    middleware: InstanceMiddleware | None = None,
    channel_options: Sequence[tuple[str, Any]] = (),
    close_grace: float = 5.0,
    tracer: Tracer | None = None,
) -> Factory:
    """A kit.sd Factory: for each instance, a TrimSpace endpoint on its own channel, and a closer for that channel.

    An instance leaves the set as it starts draining; the closer gives calls still in flight on its channel
    `close_grace` seconds to finish instead of cutting them off."""

    def factory(instance: str) -> tuple[Endpoint[Any, Any], Closer]:
        channel = grpc.aio.insecure_channel(instance, options=list(channel_options))
        endpoint = trim_space_endpoint(channel, timeout=timeout, tracer=tracer, instance=instance)
        if middleware is not None:
            endpoint = middleware(instance)(endpoint)

        async def close() -> None:
            await channel.close(close_grace)

        return endpoint, close

    return factory


class Client:
    """A trim service made of an endpoint: `await Client(endpoint).trim_space("a b")` gives "ab"."""

    def __init__(self, endpoint: Endpoint[str, str]) -> None:
        self._endpoint = endpoint

    async def trim_space(self, s: str) -> str:
        return await self._endpoint(s)


__all__ = ["SERVICE_NAME", "TRIM_SPACE_METHOD", "Client", "InstanceMiddleware", "grpc_factory", "trim_space_endpoint"]
