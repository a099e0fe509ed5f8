"""`start_server` with standard health checking and server reflection, asked through their own gRPC stubs."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import kit.transport.grpc
from kit.transport.grpc import Health, service_handler, start_server, unary
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

Serve = Callable[..., Awaitable[int]]
Connect = Callable[[int], grpc.aio.Channel]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
WAIT = 5.0


async def echo(request: str) -> str:
    return request


def trim_handler() -> grpc.GenericRpcHandler[Any, Any]:
    method = unary(echo, request_type=TrimRequest, decode=lambda pb: pb.s, encode=lambda s: TrimResponse(s=s))
    return service_handler("pb.Trim", {"TrimSpace": method})


async def check(channel: grpc.aio.Channel, service: str) -> Any:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
    return reply.status


@pytest.mark.parametrize("service", ["", "pb.Trim"])
async def test_health_follows_set_serving(serve: Serve, connect: Connect, service: str) -> None:
    health = Health(["pb.Trim"])
    channel = connect(await serve([trim_handler()], health=health))

    starting = await check(channel, service)
    health.set_serving(True)
    serving = await check(channel, service)
    health.set_serving(False)
    draining = await check(channel, service)

    assert (starting, serving, draining) == (NOT_SERVING, SERVING, NOT_SERVING)


async def test_health_of_an_unknown_service_is_not_found(serve: Serve, connect: Connect) -> None:
    channel = connect(await serve([trim_handler()], health=Health(["pb.Trim"], serving=True)))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await check(channel, "pb.Nope")

    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert await check(channel, "pb.Trim") == SERVING


async def test_health_watchers_see_changes(serve: Serve, connect: Connect) -> None:
    health = Health(["pb.Trim"])
    channel = connect(await serve([trim_handler()], health=health))
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service="pb.Trim"))
    try:
        first = await asyncio.wait_for(watch.read(), WAIT)
        health.set_serving(True)
        second = await asyncio.wait_for(watch.read(), WAIT)
        health.set_serving(False)
        third = await asyncio.wait_for(watch.read(), WAIT)
    finally:
        watch.cancel()

    assert [first.status, second.status, third.status] == [NOT_SERVING, SERVING, NOT_SERVING]


def test_health_works_without_a_running_loop() -> None:
    health = Health(["pb.Trim", "pb.Trim", ""])

    health.set_serving(True)

    async def statuses() -> list[Any]:
        server, port = await start_server([], health=health)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                return [await check(channel, name) for name in ("", "pb.Trim")]
        finally:
            await server.stop(None)

    assert health.services == ("", "pb.Trim")
    assert asyncio.run(statuses()) == [SERVING, SERVING]


async def list_services(channel: grpc.aio.Channel) -> list[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    replies = [reply async for reply in stub.ServerReflectionInfo(iter([request]))]
    return sorted(service.name for service in replies[0].list_services_response.service)


async def test_reflection_lists_the_services(serve: Serve, connect: Connect) -> None:
    channel = connect(await serve([trim_handler()], health=Health(["pb.Trim"]), reflection=["pb.Trim"]))

    assert await list_services(channel) == [
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "pb.Trim",
    ]


async def test_reflection_serves_the_descriptors(serve: Serve, connect: Connect) -> None:
    channel = connect(await serve([trim_handler()], reflection=["pb.Trim"]))
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="pb.Trim")

    replies = [reply async for reply in stub.ServerReflectionInfo(iter([request]))]
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in replies[0].file_descriptor_response.file_descriptor_proto
    ]

    assert any(service.name == "Trim" for file in files for service in file.service)


async def test_reflection_without_health_lists_only_itself_and_the_given(serve: Serve, connect: Connect) -> None:
    channel = connect(await serve([trim_handler()]))

    assert await list_services(channel) == ["grpc.reflection.v1alpha.ServerReflection"]


async def test_port_zero_binds_a_free_port(serve: Serve, connect: Connect) -> None:
    port = await serve([trim_handler()])
    reply = await connect(port).unary_unary(
        "/pb.Trim/TrimSpace", TrimRequest.SerializeToString, TrimResponse.FromString
    )(TrimRequest(s="hi"))

    assert port > 0
    assert reply.s == "hi"


async def test_a_busy_port_is_refused_not_shared(serve: Serve) -> None:
    port = await serve([trim_handler()])

    with pytest.raises(OSError, match=str(port)) as info:
        await start_server([trim_handler()], port=port)
    assert info.value.errno == errno.EADDRINUSE  # so the caller can say "in use" and name what moves the port


def test_public_api_is_importable() -> None:
    for name in kit.transport.grpc.__all__:
        assert getattr(kit.transport.grpc, name) is not None
