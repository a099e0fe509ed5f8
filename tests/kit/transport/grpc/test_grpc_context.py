"""What travels with a call besides the message: the request id, the caller, the deadline, cancellation; and what a
client sees when the instance is not there."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest

from kit import endpoint as kit_endpoint
from kit.endpoint import Endpoint, request_scope
from kit.errors import ConnectionFailed, DeadlineExceeded
from kit.transport.grpc import service_handler, start_server, unary
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

Connect = Callable[[int], grpc.aio.Channel]
StartTrim = Callable[..., Awaitable[int]]
TrimClient = Callable[..., Endpoint[str, str]]
RawTrim = Callable[[grpc.aio.Channel], grpc.aio.UnaryUnaryMultiCallable[TrimRequest, TrimResponse]]
WAIT = 5.0  # upper bound for anything that should happen at once


@dataclass
class Seen:
    calls: int = 0
    request_id: str | None = None
    transport: str | None = None
    client: str | None = None
    remaining: float | None = None


def recording(seen: Seen) -> Endpoint[str, str]:
    async def endpoint(s: str) -> str:
        seen.calls += 1
        seen.request_id = kit_endpoint.request_id()
        seen.transport = kit_endpoint.transport()
        seen.client = kit_endpoint.client()
        seen.remaining = kit_endpoint.remaining()
        return s

    return endpoint


async def test_request_id_travels_from_client_scope_to_server_endpoint(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    seen = Seen()
    client = trim_client(connect(await start_trim(recording(seen))))

    with request_scope(request_id="req-42", timeout=3.0):
        await client("x")

    assert seen.request_id == "req-42"
    assert seen.transport == "grpc"
    assert seen.client == "127.0.0.1"
    assert seen.remaining is not None
    assert 0 < seen.remaining <= 3.1  # grpc rounds the timeout it puts on the wire up a little


async def test_client_makes_a_request_id_when_none_is_in_scope(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    seen = Seen()
    client = trim_client(connect(await start_trim(recording(seen))))

    await client("x")

    assert seen.request_id
    assert seen.remaining is None


async def test_server_sends_the_request_id_back(start_trim: StartTrim, connect: Connect, raw_trim: RawTrim) -> None:
    seen = Seen()
    channel = connect(await start_trim(recording(seen)))

    given = raw_trim(channel)(TrimRequest(s="x"), metadata=(("x-request-id", "abc-1"),))
    await given
    made = raw_trim(channel)(TrimRequest(s="x"))
    await made

    assert dict(await given.trailing_metadata())["x-request-id"] == "abc-1"
    assert dict(await made.trailing_metadata())["x-request-id"] == seen.request_id
    assert "x-request-id" not in dict(await given.initial_metadata())  # no extra write before the reply


async def test_a_failed_call_sends_the_request_id_back_beside_its_error_code(
    start_trim: StartTrim, connect: Connect, raw_trim: RawTrim
) -> None:
    async def failing(s: str) -> str:
        raise DeadlineExceeded("too slow")

    channel = connect(await start_trim(failing))

    call = raw_trim(channel)(TrimRequest(s="x"), metadata=(("x-request-id", "abc-2"),))
    with pytest.raises(grpc.aio.AioRpcError):
        await call

    trailers = dict(await call.trailing_metadata())
    assert trailers["x-request-id"] == "abc-2"
    assert trailers["kit-error"] == "deadline_exceeded"


async def test_an_api_key_does_not_name_the_client(start_trim: StartTrim, connect: Connect, raw_trim: RawTrim) -> None:
    seen = Seen()
    channel = connect(await start_trim(recording(seen)))

    await raw_trim(channel)(TrimRequest(s="x"), metadata=(("x-api-key", "team-a"),))

    assert seen.client == "127.0.0.1"


@dataclass
class Stuck:
    """An endpoint that waits until cancelled, and says when it started and when it was cancelled."""

    started: asyncio.Event
    cancelled: asyncio.Event

    async def __call__(self, s: str) -> str:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return s


def stuck() -> Stuck:
    return Stuck(asyncio.Event(), asyncio.Event())


async def test_client_deadline_cancels_the_server_endpoint(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    endpoint = stuck()
    client = trim_client(connect(await start_trim(endpoint)), timeout=0.2)

    with pytest.raises(DeadlineExceeded):
        await asyncio.wait_for(client("x"), WAIT)
    await asyncio.wait_for(endpoint.cancelled.wait(), WAIT)

    assert endpoint.started.is_set()


async def test_scope_deadline_limits_the_call(start_trim: StartTrim, connect: Connect, trim_client: TrimClient) -> None:
    endpoint = stuck()
    client = trim_client(connect(await start_trim(endpoint)), timeout=WAIT)

    with request_scope(timeout=0.2), pytest.raises(DeadlineExceeded):
        await asyncio.wait_for(client("x"), WAIT)
    await asyncio.wait_for(endpoint.cancelled.wait(), WAIT)


async def test_spent_deadline_fails_without_calling(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    seen = Seen()
    client = trim_client(connect(await start_trim(recording(seen))))

    with request_scope(timeout=0.0), pytest.raises(DeadlineExceeded):
        await client("x")

    assert seen.calls == 0


async def test_caller_cancelling_cancels_the_server_endpoint(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    endpoint = stuck()
    client = trim_client(connect(await start_trim(endpoint)))

    task = asyncio.ensure_future(client("x"))
    await asyncio.wait_for(endpoint.started.wait(), WAIT)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(endpoint.cancelled.wait(), WAIT)


async def test_server_timeout_option(start_trim: StartTrim, connect: Connect, raw_trim: RawTrim) -> None:
    endpoint = stuck()
    channel = connect(await start_trim(endpoint, server_timeout=0.1))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw_trim(channel)(TrimRequest(s="x"), timeout=WAIT)

    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert endpoint.cancelled.is_set()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_closed_port_is_connection_failed(connect: Connect, trim_client: TrimClient) -> None:
    client = trim_client(connect(closed_port()), timeout=WAIT)

    with pytest.raises(ConnectionFailed):
        await client("x")


async def test_closed_channel_is_connection_failed(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    channel = connect(await start_trim(recording(Seen())))
    client = trim_client(channel)
    await client("x")
    await channel.close(None)

    with pytest.raises(ConnectionFailed):
        await client("x")


async def test_channel_closed_during_the_call_is_connection_failed(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient
) -> None:
    endpoint = stuck()
    channel = connect(await start_trim(endpoint))
    task = asyncio.ensure_future(trim_client(channel)("x"))
    await asyncio.wait_for(endpoint.started.wait(), WAIT)

    await channel.close(None)

    with pytest.raises(ConnectionFailed):
        await asyncio.wait_for(task, WAIT)


async def test_server_stopping_during_the_call_is_connection_failed(connect: Connect, trim_client: TrimClient) -> None:
    endpoint = stuck()
    method = unary(endpoint, request_type=TrimRequest, decode=lambda pb: pb.s, encode=lambda s: TrimResponse(s=s))
    server, port = await start_server([service_handler("pb.Trim", {"TrimSpace": method})])
    try:
        task = asyncio.ensure_future(trim_client(connect(port))("x"))
        await asyncio.wait_for(endpoint.started.wait(), WAIT)
    finally:
        await server.stop(None)

    with pytest.raises(ConnectionFailed):
        await asyncio.wait_for(task, WAIT)
    assert endpoint.cancelled.is_set()
