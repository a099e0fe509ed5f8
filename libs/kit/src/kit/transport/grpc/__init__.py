"""gRPC transport: endpoints served as grpc.aio methods, remote methods as endpoints, health, and error mapping."""

from kit.transport.grpc.client import client_endpoint
from kit.transport.grpc.errors import (
    KIT_ERROR_KEY,
    RETRY_AFTER_KEY,
    from_rpc_error,
    to_status,
    trailing_metadata,
)
from kit.transport.grpc.health import Health
from kit.transport.grpc.serve import DEFAULT_OPTIONS, MAX_MESSAGE_BYTES, GrpcLimits, start_server
from kit.transport.grpc.server import unary
from kit.transport.grpc.service import service_handler

__all__ = [
    "DEFAULT_OPTIONS",
    "KIT_ERROR_KEY",
    "MAX_MESSAGE_BYTES",
    "RETRY_AFTER_KEY",
    "GrpcLimits",
    "Health",
    "client_endpoint",
    "from_rpc_error",
    "service_handler",
    "start_server",
    "to_status",
    "trailing_metadata",
    "unary",
]
