"""Span attributes, named as OpenTelemetry's semantic conventions name them, and the attributes of an HTTP call, a
gRPC call and the instance called, from plain values (the kit's tracing knows no transport library)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.util.types import AttributeValue

Attributes = Mapping[str, AttributeValue]
"""Span attributes: semantic-convention names to values."""

ERROR_TYPE = "error.type"
HTTP_REQUEST_METHOD = "http.request.method"
HTTP_ROUTE = "http.route"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
RPC_SYSTEM = "rpc.system"
RPC_SERVICE = "rpc.service"
RPC_METHOD = "rpc.method"
RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"


def http_attributes(method: str, route: str) -> dict[str, AttributeValue]:
    """The attributes of a span for an HTTP call of `method` on `route` (the path template, e.g. `/concat`)."""
    return {HTTP_REQUEST_METHOD: method.upper(), HTTP_ROUTE: route}


def rpc_name(full_method: str) -> str:
    """A gRPC span's name, `pb.Trim/TrimSpace`, from the method's path `/pb.Trim/TrimSpace`."""
    return full_method.lstrip("/")


def rpc_attributes(full_method: str) -> dict[str, AttributeValue]:
    """The attributes of a span for a gRPC call of `full_method` (`/pb.Trim/TrimSpace`)."""
    service, _, method = rpc_name(full_method).rpartition("/")
    return {RPC_SYSTEM: "grpc", RPC_SERVICE: service, RPC_METHOD: method}


def server_attributes(instance: str | None) -> dict[str, AttributeValue]:
    """`server.address` and `server.port` of an instance given as `host:port` (none when unknown or malformed)."""
    if not instance:
        return {}
    host, sep, port = instance.rpartition(":")
    if not sep or not host or not port.isdigit():
        return {SERVER_ADDRESS: instance}
    return {SERVER_ADDRESS: host.strip("[]"), SERVER_PORT: int(port)}
