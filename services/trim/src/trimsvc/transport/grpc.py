"""trim over gRPC: /pb.Trim/TrimSpace exactly as docs/contracts.md fixes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from opentelemetry.trace import Tracer

from kit.endpoint import Rejected
from kit.transport.grpc import service_handler, unary
from trimsvc.endpoints import Set, TrimRequest, TrimResponse
from trimsvc.pb import trim_pb2

GRPC_SERVICE = "pb.Trim"
"""The full gRPC service name, for health checking and reflection."""


def _decode(message: trim_pb2.TrimRequest) -> TrimRequest:
    return TrimRequest(s=message.s)


def _encode(response: TrimResponse) -> trim_pb2.TrimResponse:
    return trim_pb2.TrimResponse(s=response.s)


def handlers(
    endpoints: Set,
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    rejected: Callable[[str], Rejected] | None = None,
) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """The gRPC handlers that serve `endpoints`; `rejected` records, per method, calls refused while decoding."""
    trim_space = unary(
        endpoints.trim_space_endpoint,
        request_type=trim_pb2.TrimRequest,
        decode=_decode,
        encode=_encode,
        timeout=timeout,
        on_rejected=rejected("TrimSpace") if rejected else None,
    )
    return [service_handler(GRPC_SERVICE, {"TrimSpace": trim_space}, tracer=tracer)]


__all__ = ["GRPC_SERVICE", "handlers"]
