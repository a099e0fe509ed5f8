"""Helpers of the tests against a real Consul agent: servers for its health checks to call, a client that ignores
the CONSUL_* variables of whoever runs the tests, and polling until Consul says what is expected."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import consul
import grpc
import pytest
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]  # grpc-stubs lacks the aio part

from kit.sd.consul import Registration, client_from_env
from support.http_thread import serving


@contextlib.asynccontextmanager
async def grpc_health_server() -> AsyncIterator[int]:
    """A grpc.aio server on 127.0.0.1 with the standard health service (SERVING); yields its port."""
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield port
    finally:
        await server.stop(None)


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/health" else 404
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"status": "serving"}' if status == 200 else b"")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def http_health_server() -> Iterator[int]:
    """An HTTP server on 127.0.0.1 answering GET /health with 200; yields its port."""
    with serving(_Health) as port:
        yield port


async def until(what: str, check: Callable[[], bool], *, within: float = 10.0) -> float:
    """Runs `check` (in a thread: it may call Consul) until it holds; returns when, fails after `within` s."""
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic()


def client(addr: str, token: str | None = None) -> consul.Consul:
    """A client of the test's agent that ignores the CONSUL_* variables of whoever runs the tests."""
    return client_from_env(addr=addr, token=token, env={})


def passing(observer: consul.Consul, service: str = "trim") -> set[str]:
    """IDs of the instances of `service` whose checks pass, as Consul's health API reports them."""
    return {entry["Service"]["ID"] for entry in observer.health.service(service, passing=True)[1]}


def registration(port: int, http_port: int = 1, check: Literal["grpc", "http"] = "grpc") -> Registration:
    return Registration(name="trim", address="127.0.0.1", port=port, http_port=http_port, check=check)
