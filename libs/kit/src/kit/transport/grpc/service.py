"""A gRPC service handler: the methods of one service grouped for a server, each unary method run in a SERVER span
when the service is traced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import grpc
from google.protobuf.message import Message
from opentelemetry.trace import Tracer

from kit import tracing
from kit.transport.grpc.server import ServicerContext

UnaryBehaviour = Callable[[bytes, ServicerContext], Awaitable[Message]]


def service_handler(
    service: str, methods: Mapping[str, grpc.RpcMethodHandler[Any, Any]], *, tracer: Tracer | None = None
) -> grpc.GenericRpcHandler[Any, Any]:
    """Groups the methods of one service (full name, e.g. `pb.Trim`; methods by short name) for a server.

    With a `tracer`, each call of a unary method runs in a SERVER span `pb.Trim/TrimSpace` that continues the trace
    of the caller's `traceparent` metadata (see `kit.tracing.server_span`), its status from the gRPC status
    answered. Tracing sits here, not in `unary`, because this is where a method's name is known; without a tracer
    the methods are served as they are, with no tracing work at all.
    """
    if tracer is not None:
        methods = {name: _traced(handler, tracer, f"/{service}/{name}") for name, handler in methods.items()}
    return grpc.method_handlers_generic_handler(service, dict(methods))


def _traced(
    handler: grpc.RpcMethodHandler[Any, Any], tracer: Tracer, full_method: str
) -> grpc.RpcMethodHandler[Any, Any]:
    """The same unary-unary method, run in a SERVER span; other kinds of method are left as they are."""
    behaviour = cast(UnaryBehaviour | None, handler.unary_unary)
    if behaviour is None or handler.request_streaming or handler.response_streaming:
        return handler
    name = tracing.rpc_name(full_method)
    attributes = tracing.rpc_attributes(full_method)

    async def traced(raw: bytes, context: ServicerContext) -> Message:
        carrier = {key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)}
        with tracing.server_span(tracer, name, carrier, attributes=attributes) as span:
            try:
                reply = await behaviour(raw, context)
            except Exception:
                # An endpoint's error is answered by context.abort, which raises: the status is the one it sent.
                # Anything else escaping a method, grpc answers with UNKNOWN.
                code = context.code()
                tracing.set_grpc_status(span, _UNKNOWN if code is None else _number(code), server=True)
                raise
            tracing.set_grpc_status(span, 0, server=True)
            return reply

    return grpc.unary_unary_rpc_method_handler(
        traced,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


_UNKNOWN = 2


def _number(code: Any) -> int:
    """The number of a status code, whether grpc gives it as a `grpc.StatusCode` or as an int."""
    if isinstance(code, grpc.StatusCode):
        number: int = code.value[0]
        return number
    return int(code)
