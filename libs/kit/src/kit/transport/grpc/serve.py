"""Starts a grpc.aio server with the parts every kit service has: its handlers, health checking and reflection."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health as grpc_health
from grpc_health.v1 import health_pb2_grpc
from grpc_reflection.v1alpha import reflection as grpc_reflection

from kit.transport.grpc.health import Health

MAX_MESSAGE_BYTES = 1024 * 1024
"""Default largest message a server accepts; a bigger one is refused with RESOURCE_EXHAUSTED before it is read."""

DEFAULT_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Without this, grpc binds with SO_REUSEPORT and a second server on a busy port "succeeds" and shares it.
    ("grpc.so_reuseport", 0),
)
"""Server options `start_server` sets unless its `options` name the same key."""


@dataclass(frozen=True, slots=True)
class GrpcLimits:
    """What one gRPC client may send and hold, as grpc core enforces it."""

    max_metadata_bytes: int = 16384
    """Request metadata (headers) of one call; past it the call fails with RESOURCE_EXHAUSTED."""
    max_concurrent_streams: int = 100
    """Calls one connection may have open at once; more wait for a free stream."""
    min_ping_interval: float = 10.0
    """Seconds a client must leave between keepalive pings; one that pings faster, or pings with no call open, is
    sent GOAWAY (`too_many_pings`) after two strikes."""
    max_connection_idle: float = 300.0
    """Seconds a connection with no call open is kept before the server closes it (GOAWAY)."""
    max_connections: int = 1000
    """Open connections; a connection past it is closed at once."""

    def options(self) -> tuple[tuple[str, Any], ...]:
        """The grpc core channel arguments that enforce these limits."""
        return (
            ("grpc.max_metadata_size", self.max_metadata_bytes),
            ("grpc.absolute_max_metadata_size", self.max_metadata_bytes),
            ("grpc.max_concurrent_streams", self.max_concurrent_streams),
            ("grpc.http2.min_ping_interval_without_data_ms", round(self.min_ping_interval * 1000)),
            ("grpc.http2.max_ping_strikes", 2),
            ("grpc.keepalive_permit_without_calls", 0),
            ("grpc.max_connection_idle_ms", round(self.max_connection_idle * 1000)),
            ("grpc.max_allowed_incoming_connections", self.max_connections),
        )


async def start_server(
    handlers: Sequence[grpc.GenericRpcHandler[Any, Any]],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    health: Health | None = None,
    reflection: Sequence[str] = (),
    limits: GrpcLimits | None = None,
    options: Sequence[tuple[str, Any]] = (),
) -> tuple[grpc.aio.Server, int]:
    """Builds, binds and starts a server; returns it and the port it listens on (`port=0` takes any free one).

    Raises OSError when the address cannot be bound (a port in use is refused, not shared).

    `health` adds the standard health service; `reflection` names the services grpcurl and Postman may discover
    (health and reflection themselves are always listed). `limits` (the defaults of `GrpcLimits` when not given)
    bound what each client may send and hold; `options` may still override any key. Stop the server with
    `await server.stop(grace)`.
    """
    if port:
        _check_free(host, port)
    chosen = dict(DEFAULT_OPTIONS)
    chosen.update((limits or GrpcLimits()).options())
    chosen.update(options)
    server = grpc.aio.server(handlers=list(handlers), options=list(chosen.items()))
    names = list(reflection)
    if health is not None:
        health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
        await health.apply()
        names.append(grpc_health.SERVICE_NAME)
    names.append(grpc_reflection.SERVICE_NAME)
    grpc_reflection.enable_server_reflection(tuple(dict.fromkeys(names)), server)
    try:
        bound = server.add_insecure_port(_address(host, port))
    except RuntimeError as exc:
        await server.stop(None)
        raise OSError(f"cannot listen on {host}:{port}: {exc}") from exc
    await server.start()
    return server, bound


def _check_free(host: str, port: int) -> None:
    """Raises OSError, with its errno, when `host:port` cannot be bound. Asked before grpc core is: grpc core would
    write lines of its own to stderr and then say only that binding failed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as grpc core binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
