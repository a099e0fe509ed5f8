"""Starts a grpc.aio server with the parts every kit service has: its handlers, health checking and reflection."""

from __future__ import annotations

from collections.abc import Sequence
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


async def start_server(
    handlers: Sequence[grpc.GenericRpcHandler[Any, Any]],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    health: Health | None = None,
    reflection: Sequence[str] = (),
    options: Sequence[tuple[str, Any]] = (),
) -> tuple[grpc.aio.Server, int]:
    """Builds, binds and starts a server; returns it and the port it listens on (`port=0` takes any free one).

    Raises OSError when the address cannot be bound (a port in use is refused, not shared).

    `health` adds the standard health service; `reflection` names the services grpcurl and Postman may discover
    (health and reflection themselves are always listed). Stop the server with `await server.stop(grace)`.
    """
    chosen = dict(DEFAULT_OPTIONS)
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


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
