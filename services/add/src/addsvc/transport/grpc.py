"""add over gRPC: /pb.Add/Sum and /pb.Add/Concat exactly as docs/contracts.md fixes them.

A business error (integer overflow, result too long) travels as status OK with its message in `err`, as go-kit's
addsvc does; every other failure is a gRPC status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from opentelemetry.trace import Tracer

from addsvc.endpoints import ConcatRequest, ConcatResponse, Set, SumRequest, SumResponse
from addsvc.pb import add_pb2
from kit.endpoint import Rejected
from kit.errors import BusinessError
from kit.transport.grpc import service_handler, unary

GRPC_SERVICE = "pb.Add"
"""The full gRPC service name, for health checking and reflection."""


def _decode_sum(message: add_pb2.SumRequest) -> SumRequest:
    return SumRequest(a=message.a, b=message.b)


def _encode_sum(response: SumResponse) -> add_pb2.SumReply:
    return add_pb2.SumReply(v=response.v)


def _sum_error(exc: BusinessError) -> add_pb2.SumReply:
    return add_pb2.SumReply(err=exc.message)


def _decode_concat(message: add_pb2.ConcatRequest) -> ConcatRequest:
    return ConcatRequest(a=message.a, b=message.b)


def _encode_concat(response: ConcatResponse) -> add_pb2.ConcatReply:
    return add_pb2.ConcatReply(v=response.v)


def _concat_error(exc: BusinessError) -> add_pb2.ConcatReply:
    return add_pb2.ConcatReply(err=exc.message)


def handlers(
    endpoints: Set,
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    rejected: Callable[[str], Rejected] | None = None,
) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """The gRPC handlers that serve `endpoints`; `rejected` records, per method, calls refused while decoding."""
    methods = {
        "Sum": unary(
            endpoints.sum_endpoint,
            request_type=add_pb2.SumRequest,
            decode=_decode_sum,
            encode=_encode_sum,
            encode_business_error=_sum_error,
            timeout=timeout,
            on_rejected=rejected("Sum") if rejected else None,
        ),
        "Concat": unary(
            endpoints.concat_endpoint,
            request_type=add_pb2.ConcatRequest,
            decode=_decode_concat,
            encode=_encode_concat,
            encode_business_error=_concat_error,
            timeout=timeout,
            on_rejected=rejected("Concat") if rejected else None,
        ),
    }
    return [service_handler(GRPC_SERVICE, methods, tracer=tracer)]


__all__ = ["GRPC_SERVICE", "handlers"]
