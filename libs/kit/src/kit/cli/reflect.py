"""Calling any unary gRPC method of a server that serves reflection, with JSON in and out: the server's own
descriptors (grpcio-reflection's descriptor database behind a protobuf `DescriptorPool`) give the message types,
and protobuf's `json_format` maps JSON to them and back with the standard proto3 JSON mapping (as grpcurl does)."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

REFLECTION_SERVICES = ("grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection")


class UsageError(ValueError):
    """The request cannot be made as given: an unknown service or method, a streaming method, bad JSON."""


class Reflection:
    """The descriptors a server serves through reflection, on an open channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel
        self._db = ProtoReflectionDescriptorDatabase(channel)
        self._pool = descriptor_pool.DescriptorPool(self._db)

    def services(self) -> list[str]:
        """Every service the server lists, reflection itself left out."""
        return [s for s in self._db.get_services() if s not in REFLECTION_SERVICES]

    def service(self, name: str) -> ServiceDescriptor:
        try:
            return self._pool.FindServiceByName(name)
        except KeyError:
            raise UsageError(f"the server has no service {name!r}; it has: {', '.join(self.services())}") from None

    def method(self, full: str) -> MethodDescriptor:
        """`pb.Add/Sum` (grpcurl's form) or `pb.Add.Sum`."""
        service, sep, name = full.replace("/", ".").rpartition(".")
        if not sep or not service:
            raise UsageError(f"{full!r}: want SERVICE/METHOD, e.g. pb.Add/Sum")
        found = self.service(service).methods_by_name.get(name)
        if found is None:
            known = ", ".join(m.name for m in self.service(service).methods)
            raise UsageError(f"{service} has no method {name!r}; it has: {known}")
        return found

    def call(self, full: str, body: str, *, timeout: float, metadata: Sequence[tuple[str, str]] = ()) -> str:
        """Calls the unary method `full` with the JSON `body`; the answer as JSON. grpc.RpcError on a status."""
        method = self.method(full)
        if method.client_streaming or method.server_streaming:
            raise UsageError(f"{full} streams; only unary methods can be called")
        request_type = message_factory.GetMessageClass(method.input_type)
        response_type = message_factory.GetMessageClass(method.output_type)
        try:
            request = json_format.Parse(body or "{}", request_type())
        except json_format.ParseError as exc:
            raise UsageError(f"the JSON does not fit {method.input_type.full_name}: {exc}") from None
        stub = self._channel.unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        response: Message = stub(request, timeout=timeout, metadata=tuple(metadata))
        return json_format.MessageToJson(response, indent=None, always_print_fields_with_no_presence=True)

    def describe(self, service: str) -> list[str]:
        """`Sum(pb.SumRequest) returns (pb.SumReply)` for each method of `service`."""
        lines = []
        for m in self.service(service).methods:
            left = "stream " if m.client_streaming else ""
            right = "stream " if m.server_streaming else ""
            lines.append(
                f"{service}/{m.name}({left}{m.input_type.full_name}) returns ({right}{m.output_type.full_name})"
            )
        return lines


def health(channel: grpc.Channel, service: str, *, timeout: float) -> str:
    """The serving status `grpc.health.v1.Health/Check` reports for `service` ("" is the whole server)."""
    stub = health_pb2_grpc.HealthStub(channel)
    reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


__all__ = ["Reflection", "UsageError", "health"]
