"""Listening: bind HTTP, then start gRPC, and a port that cannot be bound is one error naming the variable that
moves it (`CannotListen`), with nothing left bound."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

import grpc

from kit.env import ConfigError
from kit.run import HttpServer, Serving
from kit.transport.grpc import Health, start_server
from kit.transport.http import OnRefused

if TYPE_CHECKING:
    from kit.serve.server import Listening, Onion


class CannotListen(ConfigError):
    """A server cannot listen where the configuration says; the message names the variable that moves it."""

    @classmethod
    def at(cls, service: str, transport: str, host: str, port: int, exc: OSError) -> CannotListen:
        """Names `<SERVICE>_<TRANSPORT>_PORT`, the variable each kit service reads its port from."""
        prefix = service.upper()
        variable = f"{prefix}_{transport}_PORT"
        if exc.errno == errno.EADDRINUSE:
            return cls(f"{variable}={port}: {host}:{port} is in use; set {variable} to a free port (0 takes any)")
        reason = exc.strerror or str(exc)
        return cls(f"{variable}={port}, {prefix}_HOST={host!r}: cannot listen on {host}:{port}: {reason}")


async def listen(
    onion: Onion[Any],
    service: str,
    grpc_service: str,
    cfg: Listening,
    serving: Serving,
    health: Health,
    on_refused: OnRefused,
) -> tuple[HttpServer, grpc.aio.Server, int]:
    """Binds HTTP, then starts gRPC. A port that cannot be bound raises CannotListen, with nothing left bound (a
    gRPC server left to the collector would try to stop itself on a closed event loop)."""
    try:
        http = HttpServer(
            onion.app,
            host=cfg.host,
            port=cfg.http_port,
            grace=cfg.grace,
            closing=lambda: not serving.is_serving(),
            limits=cfg.edge.http,
            on_refused=on_refused,
            trusted_proxies=cfg.edge.trusted_proxies,
        )
    except OSError as exc:
        raise CannotListen.at(service, "HTTP", cfg.host, cfg.http_port, exc) from None
    try:
        grpc_server, grpc_port = await start_server(
            onion.grpc_handlers,
            host=cfg.host,
            port=cfg.grpc_port,
            health=health,
            reflection=[grpc_service],
            limits=cfg.edge.grpc,
        )
    except OSError as exc:
        http.close()
        raise CannotListen.at(service, "GRPC", cfg.host, cfg.grpc_port, exc) from None
    return http, grpc_server, grpc_port


__all__ = ["CannotListen", "listen"]
