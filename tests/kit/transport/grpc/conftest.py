"""Fixtures that start real grpc.aio servers on 127.0.0.1 and open real channels, and always clean both up.

The trim fixtures serve and call /pb.Trim/TrimSpace with plain strings as the endpoint's request and response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
import pytest

from kit.endpoint import Endpoint
from kit.errors import InvalidArgument
from kit.transport.grpc import service_handler, start_server, unary
from support.trim_grpc import TRIM, trim_endpoint
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

Serve = Callable[..., Awaitable[int]]
Connect = Callable[[int], grpc.aio.Channel]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts a server with `start_server(handlers, **options)` on a free port and returns the port."""
    started: list[grpc.aio.Server] = []

    async def start(handlers: Sequence[grpc.GenericRpcHandler[Any, Any]], **options: Any) -> int:
        server, port = await start_server(handlers, **options)
        started.append(server)
        return port

    yield start
    for server in started:
        await server.stop(None)


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """Opens an insecure channel to a port of 127.0.0.1."""
    opened: list[grpc.aio.Channel] = []

    def open_channel(port: int) -> grpc.aio.Channel:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        opened.append(channel)
        return channel

    yield open_channel
    for channel in opened:
        await channel.close(None)


StartTrim = Callable[..., Awaitable[int]]
TrimClient = Callable[..., Endpoint[str, str]]
RawTrim = Callable[[grpc.aio.Channel], grpc.aio.UnaryUnaryMultiCallable[TrimRequest, TrimResponse]]


def decode_trim(pb: TrimRequest) -> str:
    if pb.s == "":
        raise InvalidArgument("s is required")
    return pb.s


@pytest.fixture
def start_trim(serve: Serve) -> StartTrim:
    """Serves an `Endpoint[str, str]` as /pb.Trim/TrimSpace with `unary`; returns the port."""

    async def start(endpoint: Endpoint[str, str], *, server_timeout: float | None = None, **options: Any) -> int:
        method = unary(
            endpoint,
            request_type=TrimRequest,
            decode=decode_trim,
            encode=lambda s: TrimResponse(s=s),
            timeout=server_timeout,
        )
        return await serve([service_handler("pb.Trim", {"TrimSpace": method})], **options)

    return start


@pytest.fixture
def trim_client() -> TrimClient:
    """Makes the `client_endpoint` for /pb.Trim/TrimSpace on a channel."""

    def make(channel: grpc.aio.Channel, *, timeout: float | None = None) -> Endpoint[str, str]:
        return trim_endpoint(channel, timeout=timeout)

    return make


@pytest.fixture
def raw_trim() -> RawTrim:
    """Makes a plain grpc multicallable for /pb.Trim/TrimSpace, to see the status and metadata on the wire."""

    def make(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable[TrimRequest, TrimResponse]:
        return channel.unary_unary(TRIM, TrimRequest.SerializeToString, TrimResponse.FromString)

    return make
