"""The gRPC limits, each reached by a real client against a real grpc.aio server: metadata size, concurrent streams
on one connection, keepalive pings too often, connection count. About 4 s in all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import grpc
import pytest

from kit.transport.grpc import GrpcLimits
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

# The fixtures of conftest.py, as the other tests here name them.
Connect = Callable[[int], grpc.aio.Channel]
StartTrim = Callable[..., Awaitable[int]]
RawTrim = Callable[[grpc.aio.Channel], grpc.aio.UnaryUnaryMultiCallable[TrimRequest, TrimResponse]]


async def strip(s: str) -> str:
    return s.replace(" ", "")


async def test_metadata_past_the_limit_is_refused_and_the_next_call_is_served(
    start_trim: StartTrim, connect: Connect, raw_trim: RawTrim
) -> None:
    port = await start_trim(strip, limits=GrpcLimits(max_metadata_bytes=2048))
    call = raw_trim(connect(port))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(TrimRequest(s="a b"), metadata=(("x-big", "a" * 4096),), timeout=5)
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await call(TrimRequest(s="a b"), timeout=5)).s == "ab"


async def test_one_connection_gets_no_more_concurrent_streams_than_allowed(
    start_trim: StartTrim, connect: Connect, raw_trim: RawTrim
) -> None:
    running = 0
    most = 0

    async def slow(s: str) -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.2)
        running -= 1
        return s

    port = await start_trim(slow, limits=GrpcLimits(max_concurrent_streams=1))
    call = raw_trim(connect(port))
    replies = await asyncio.gather(*(call(TrimRequest(s=str(i)), timeout=10) for i in range(4)))
    assert [r.s for r in replies] == ["0", "1", "2", "3"]
    assert most == 1


async def test_a_client_pinging_too_often_is_sent_away(start_trim: StartTrim, raw_trim: RawTrim) -> None:
    port = await start_trim(strip, limits=GrpcLimits(min_ping_interval=10.0))
    # keepalive every 50 ms, even with no call open: far more often than the server allows.
    eager = grpc.aio.insecure_channel(
        f"127.0.0.1:{port}",
        options=[
            ("grpc.keepalive_time_ms", 50),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ],
    )
    try:
        assert (await raw_trim(eager)(TrimRequest(s="a b"), timeout=5)).s == "ab"
        states = []
        for _ in range(40):
            await asyncio.sleep(0.1)
            states.append(eager.get_state())
            if states[-1] is not grpc.ChannelConnectivity.READY:
                break
        # GOAWAY (too_many_pings) drops the connection: the channel leaves READY on its own.
        assert states[-1] is not grpc.ChannelConnectivity.READY
    finally:
        await eager.close(None)


async def test_connections_past_the_cap_are_closed(start_trim: StartTrim, connect: Connect, raw_trim: RawTrim) -> None:
    port = await start_trim(strip, limits=GrpcLimits(max_connections=1))
    first = raw_trim(connect(port))
    assert (await first(TrimRequest(s="a b"), timeout=5)).s == "ab"
    # A distinct channel (own subchannel, own connection) is one too many while the first stays open.
    second = grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await raw_trim(second)(TrimRequest(s="a b"), timeout=1)
        assert caught.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        await second.close(None)
    assert (await first(TrimRequest(s="c d"), timeout=5)).s == "cd"
