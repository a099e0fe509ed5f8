"""Serving an ASGI app with uvicorn on a socket bound up front, under kit.run's control of signals and drain."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Generator, Sequence
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.transport.http.wire import HttpLimits, OnRefused, limited_protocol


class _QuietUvicorn(uvicorn.Server):
    # kit.run owns the signals: uvicorn must not install handlers of its own and swallow the second signal.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    """Binds a listening TCP socket up front, so port 0 works and the bound port is known before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def close_connections_while(closing: Callable[[], bool], app: ASGIApp) -> ASGIApp:
    """Wraps an ASGI app so that every HTTP response sent while `closing()` is true says `Connection: close`:
    a keep-alive client then opens its next connection afresh (to whichever instance its discovery names) instead
    of reusing one that the server will close when it stops."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and closing():
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return wrapped


class HttpServer:
    """An ASGI app served by uvicorn on a socket bound at construction.

    With `closing`, every response sent while `closing()` is true closes its connection (see
    `close_connections_while`): pass "not serving" so a draining instance sheds its keep-alive connections
    gracefully before it stops listening.

    `limits` bound what each client may send and hold (see `kit.transport.http.wire`), `on_refused` hears of each
    request refused there. Forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are believed only from the
    addresses or networks in `trusted_proxies`; by default from none, so the client is always the TCP peer.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        grace: float = 10.0,
        closing: Callable[[], bool] | None = None,
        limits: HttpLimits | None = None,
        on_refused: OnRefused | None = None,
        trusted_proxies: Sequence[str] = (),
    ) -> None:
        limits = limits or HttpLimits()
        self.socket = bind_socket(host, port)
        self.host = host
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app if closing is None else close_connections_while(closing, app),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=max(1, round(grace)),
            server_header=False,
            # Edge limits: kept here, apart from the drain settings above.
            http=limited_protocol(limits, on_refused=on_refused),
            timeout_keep_alive=limits.keepalive_seconds,
            proxy_headers=bool(trusted_proxies),
            forwarded_allow_ips=list(trusted_proxies) or None,
        )
        self._server = _QuietUvicorn(config)

    async def serve(self) -> None:
        """Serves until `stop()`; in-flight requests finish within the grace period."""
        await self._server.serve(sockets=[self.socket])

    def close(self) -> None:
        """Lets go of the socket of a server that will not serve (serving closes it on its own)."""
        self.socket.close()

    def stop(self, *, force: bool = False) -> None:
        """Stops accepting connections; with `force`, drops the in-flight ones too."""
        self._server.should_exit = True
        if force:
            self._server.force_exit = True


__all__ = ["HttpServer", "bind_socket", "close_connections_while"]
