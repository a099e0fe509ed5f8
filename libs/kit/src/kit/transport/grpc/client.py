"""The gRPC client adapter: one method of a remote service as an Endpoint.

The endpoint sends the current request id and what is left of the current deadline with every call, so a call
tree shares one id and one time budget, and turns a failed call back into the kit error the server meant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from opentelemetry.trace import Span, Tracer

from kit import tracing
from kit.endpoint import REQUEST_ID_HEADER, Endpoint, Req, Resp, new_request_id, remaining, request_id
from kit.errors import ConnectionFailed, DeadlineExceeded
from kit.transport.grpc.errors import from_rpc_error

PbReq = TypeVar("PbReq", bound=Message)
PbResp = TypeVar("PbResp", bound=Message)


def client_endpoint(
    channel: grpc.aio.Channel,
    method: str,
    *,
    request_type: type[PbReq],
    response_type: type[PbResp],
    encode: Callable[[Req], PbReq],
    decode: Callable[[PbResp], Resp],
    timeout: float | None = None,
    tracer: Tracer | None = None,
    instance: str | None = None,
) -> Endpoint[Req, Resp]:
    """An endpoint that calls `method` (the full path, e.g. `/pb.Trim/TrimSpace`) over `channel`.

    `encode` makes the protobuf request from the endpoint's request; `decode` makes the endpoint's response from
    the reply and may raise BusinessError for a reply that carries one. `timeout` caps each call, on top of the
    current request's deadline. Failed calls raise kit errors (see `kit.transport.grpc.errors.from_rpc_error`).

    With a `tracer`, each call runs in a CLIENT span `pb.Trim/TrimSpace` whose context goes out in the
    `traceparent` metadata (see `kit.tracing.client_span`), with `instance` (`host:port`, when given) as its
    `server.address`; without one, the endpoint does no tracing work at all.
    """
    # Made once: a multicallable per call would redo the method lookup on every request.
    remote: grpc.aio.UnaryUnaryMultiCallable[PbReq, PbResp] = channel.unary_unary(
        method,
        request_serializer=request_type.SerializeToString,
        response_deserializer=response_type.FromString,
    )

    span_name = tracing.rpc_name(method)
    span_attributes = {**tracing.rpc_attributes(method), **tracing.server_attributes(instance)}

    async def send(request: Req, metadata: tuple[tuple[str, str], ...], limit: float | None, span: Span | None) -> Resp:
        try:
            reply = await remote(encode(request), timeout=limit, metadata=metadata)
        except grpc.aio.AioRpcError as err:
            if span is not None:
                tracing.set_grpc_status(span, err.code().value[0], server=False)
            if err.code() is grpc.StatusCode.CANCELLED and _cancelling():
                raise asyncio.CancelledError from err
            raise from_rpc_error(err) from err
        except asyncio.CancelledError:
            if _cancelling():
                raise
            # Nobody cancelled this task: grpc cancelled the call because its channel was closed under it (the
            # instance left the rotation). That is the instance's failure, not the caller's cancellation.
            raise ConnectionFailed(f"{method}: channel closed during the call") from None
        except grpc.aio.UsageError as err:
            raise ConnectionFailed(f"{method}: {err}") from err
        if span is not None:
            tracing.set_grpc_status(span, 0, server=False)
        return decode(reply)

    async def call(request: Req) -> Resp:
        budget = remaining()
        limit = timeout if budget is None else budget if timeout is None else min(timeout, budget)
        if limit is not None and limit <= 0.0:
            raise DeadlineExceeded(f"no time left to call {method}")
        metadata = ((REQUEST_ID_HEADER, request_id() or new_request_id()),)
        if tracer is None:
            return await send(request, metadata, limit, None)
        with tracing.client_span(tracer, span_name, attributes=span_attributes) as (span, carrier):
            return await send(request, (*metadata, *carrier.items()), limit, span)

    return call


def _cancelling() -> bool:
    task: asyncio.Task[Any] | None = asyncio.current_task()
    return task is not None and task.cancelling() > 0
