"""A business error over gRPC: an OK reply carrying it when the method has an encoder for it, INVALID_ARGUMENT
without one, INTERNAL when the encoder itself fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from addsvc.pb.add_pb2 import SumReply, SumRequest
from kit.errors import (
    BusinessError,
)
from kit.transport.grpc import client_endpoint, service_handler, unary

Serve = Callable[..., Awaitable[int]]
S = grpc.StatusCode


Connect = Callable[[int], grpc.aio.Channel]


async def add(request: tuple[int, int]) -> int:
    total = request[0] + request[1]
    if total >= 2**63:
        raise BusinessError("integer overflow")
    return total


def sum_method(*, encode_business_error: Callable[[BusinessError], SumReply] | None) -> grpc.RpcMethodHandler[Any, Any]:
    return unary(
        add,
        request_type=SumRequest,
        decode=lambda pb: (pb.a, pb.b),
        encode=lambda v: SumReply(v=v),
        encode_business_error=encode_business_error,
    )


def encode_sum_request(request: tuple[int, int]) -> SumRequest:
    return SumRequest(a=request[0], b=request[1])


def decode_sum_reply(reply: SumReply) -> int:
    if reply.err:
        raise BusinessError(reply.err)
    return reply.v


async def start_sum(
    serve: Serve, connect: Connect, encode_business_error: Callable[[BusinessError], SumReply] | None
) -> grpc.aio.Channel:
    method = sum_method(encode_business_error=encode_business_error)
    return connect(await serve([service_handler("pb.Add", {"Sum": method})]))


async def test_business_error_is_an_ok_reply_with_err(serve: Serve, connect: Connect) -> None:
    channel = await start_sum(serve, connect, lambda exc: SumReply(err=exc.message))
    raw = channel.unary_unary("/pb.Add/Sum", SumRequest.SerializeToString, SumReply.FromString)
    client = client_endpoint(
        channel,
        "/pb.Add/Sum",
        request_type=SumRequest,
        response_type=SumReply,
        encode=encode_sum_request,
        decode=decode_sum_reply,
    )

    call = raw(SumRequest(a=2**63 - 1, b=1))
    reply = await call

    assert await call.code() is S.OK
    assert reply.err == "integer overflow"
    assert await client((2, 3)) == 5
    with pytest.raises(BusinessError, match="integer overflow"):
        await client((2**63 - 1, 1))


async def test_failing_business_error_encoder_is_internal(serve: Serve, connect: Connect) -> None:
    def broken(exc: BusinessError) -> SumReply:
        raise ValueError(f"secret {exc.message}")

    channel = await start_sum(serve, connect, broken)
    raw = channel.unary_unary("/pb.Add/Sum", SumRequest.SerializeToString, SumReply.FromString)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(SumRequest(a=2**63 - 1, b=1))

    assert caught.value.code() is S.INTERNAL
    assert "secret" not in (caught.value.details() or "")


async def test_business_error_without_encoder_is_invalid_argument(serve: Serve, connect: Connect) -> None:
    channel = await start_sum(serve, connect, None)
    raw = channel.unary_unary("/pb.Add/Sum", SumRequest.SerializeToString, SumReply.FromString)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(SumRequest(a=2**63 - 1, b=1))

    assert caught.value.code() is S.INVALID_ARGUMENT
    assert caught.value.details() == "integer overflow"
