"""One Concat, one trace: add's server span, the retry/balancer span, one gRPC client span per trim call and trim's
server spans, linked parent to child across the wire.

add and two trim instances are built in-process from their service and endpoint layers and the kit's transports,
each with its own TracerProvider (its own `service.name`) writing to one in-memory exporter. The services'
`build`/`trim_client` take no tracer yet, so the onion is composed here the way they compose it, with the tracer
passed to every transport: add's HTTP route (or gRPC method) -> Concat endpoint -> trim_first -> Client ->
span("trim retry") -> retry(RoundRobin(DefaultEndpointer(FixedInstancer, factory))) -> gRPC client endpoint ->
trim's gRPC server -> TrimSpace endpoint. Every hop between services is a real HTTP or gRPC call on 127.0.0.1, and
the trim server spans are checked to have *remote* parents: the context crossed in the metadata, not in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from addsvc.endpoints import ConcatRequest, ConcatResponse
from addsvc.endpoints import Set as AddSet
from addsvc.pb import add_pb2
from addsvc.service import BasicService as AddService
from addsvc.service import trim_first
from addsvc.transport.http import ConcatBody, ConcatReply
from kit import tracing
from kit.endpoint import AnyEndpoint
from kit.sd import FixedInstancer
from kit.sd.endpointer import Closer, DefaultEndpointer
from kit.sd.lb import RoundRobin, retry
from kit.transport.grpc import client_endpoint, service_handler, start_server, unary
from kit.transport.http import add_route, model_decoder, new_app
from trimsvc import client as trimclient
from trimsvc.endpoints import Set as TrimSet
from trimsvc.endpoints import TrimRequest
from trimsvc.pb import trim_pb2
from trimsvc.service import BasicService as TrimService

RETRY_SPAN = "trim retry"


@dataclass
class Stack:
    """add in front of two trims, every part traced into `exporter`."""

    http: httpx.AsyncClient
    add_channel: grpc.aio.Channel
    exporter: InMemorySpanExporter
    trim_addresses: tuple[str, ...]


def traced(exporter: InMemorySpanExporter, service: str, instance: str) -> tracing.Tracing:
    resource = Resource({"service.instance.id": instance})
    return tracing.with_exporters([exporter], service=service, synchronous=True, resource=resource)


async def start_trim(trace: tracing.Tracing) -> tuple[grpc.aio.Server, str]:
    endpoints = TrimSet.build(TrimService())
    method = unary(
        endpoints.trim_space_endpoint,
        request_type=trim_pb2.TrimRequest,
        decode=lambda pb: TrimRequest(s=pb.s),
        encode=lambda r: trim_pb2.TrimResponse(s=r.s),
    )
    server, port = await start_server([service_handler("pb.Trim", {"TrimSpace": method}, tracer=trace.tracer)])
    return server, f"127.0.0.1:{port}"


def encode_trim(s: str) -> trim_pb2.TrimRequest:
    return trim_pb2.TrimRequest(s=s)


def decode_trim(reply: trim_pb2.TrimResponse) -> str:
    return reply.s


def trim_factory(trace: tracing.Tracing, channels: list[grpc.aio.Channel]) -> Callable[[str], tuple[Any, Closer]]:
    """trimsvc.client.grpc_factory, with a tracer given to the client endpoint."""

    def factory(instance: str) -> tuple[AnyEndpoint, Closer]:
        channel = grpc.aio.insecure_channel(instance)
        channels.append(channel)
        endpoint = client_endpoint(
            channel,
            trimclient.TRIM_SPACE_METHOD,
            request_type=trim_pb2.TrimRequest,
            response_type=trim_pb2.TrimResponse,
            encode=encode_trim,
            decode=decode_trim,
            tracer=trace.tracer,
            instance=instance,
        )

        async def close() -> None:
            await channel.close(None)

        return endpoint, close

    return factory


def add_handlers(endpoints: AddSet, trace: tracing.Tracing) -> list[grpc.GenericRpcHandler[Any, Any]]:
    concat = unary(
        endpoints.concat_endpoint,
        request_type=add_pb2.ConcatRequest,
        decode=lambda pb: ConcatRequest(a=pb.a, b=pb.b),
        encode=lambda r: add_pb2.ConcatReply(v=r.v),
        encode_business_error=lambda exc: add_pb2.ConcatReply(err=exc.message),
    )
    return [service_handler("pb.Add", {"Concat": concat}, tracer=trace.tracer)]


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    exporter = InMemorySpanExporter()
    trims = [await start_trim(traced(exporter, "trim", f"trim-{n}")) for n in (1, 2)]
    addresses = tuple(address for _, address in trims)

    add_trace = traced(exporter, "add", "add-1")
    channels: list[grpc.aio.Channel] = []
    endpointer = DefaultEndpointer(FixedInstancer(addresses), trim_factory(add_trace, channels))
    balanced = retry(3, 2.0, RoundRobin(endpointer))
    trace_retry = tracing.span(add_trace.tracer, RETRY_SPAN, attributes={"peer.service": "trim"})
    trimmer = trimclient.Client(trace_retry(balanced))
    endpoints = AddSet.build(trim_first(trimmer)(AddService(max_concat_length=64)))

    app = new_app(title="add", version="test")
    add_route(
        app,
        "/concat",
        endpoints.concat_endpoint,
        decode=model_decoder(ConcatBody, lambda body: ConcatRequest(a=body.a, b=body.b)),
        encode=lambda r: {"v": r.v} if isinstance(r, ConcatResponse) else r,
        request_model=ConcatBody,
        response_model=ConcatReply,
        tracer=add_trace.tracer,
    )
    add_server, add_port = await start_server(add_handlers(endpoints, add_trace))
    add_channel = grpc.aio.insecure_channel(f"127.0.0.1:{add_port}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://add") as http:
        yield Stack(http, add_channel, exporter, addresses)
    await add_channel.close(None)
    await add_server.stop(None)
    await endpointer.close()
    for server, _ in trims:
        await server.stop(None)


async def concat_over_http(stack: Stack) -> str:
    response = await stack.http.post("/concat", json={"a": "1 0 1", "b": " 2 "})
    assert response.status_code == 200
    return str(response.json()["v"])


async def concat_over_grpc(stack: Stack) -> str:
    call = stack.add_channel.unary_unary(
        "/pb.Add/Concat",
        request_serializer=add_pb2.ConcatRequest.SerializeToString,
        response_deserializer=add_pb2.ConcatReply.FromString,
    )
    reply = await call(add_pb2.ConcatRequest(a="1 0 1", b=" 2 "), timeout=5.0)
    return str(reply.v)


def named(spans: Sequence[ReadableSpan], kind: SpanKind, service: str) -> list[ReadableSpan]:
    return [s for s in spans if s.kind is kind and s.resource.attributes["service.name"] == service]


@pytest.mark.parametrize(
    ("concat", "root_name"),
    [(concat_over_http, "POST /concat"), (concat_over_grpc, "pb.Add/Concat")],
    ids=["http", "grpc"],
)
async def test_one_concat_is_one_trace_across_add_and_trim(
    stack: Stack, concat: Callable[[Stack], Any], root_name: str
) -> None:
    assert await concat(stack) == "1012"

    spans = stack.exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1
    by_id = {s.context.span_id: s for s in spans}

    [root] = [s for s in spans if s.parent is None]
    assert (root.name, root.kind, root.resource.attributes["service.name"]) == (root_name, SpanKind.SERVER, "add")

    retries = [s for s in spans if s.name == RETRY_SPAN]
    assert len(retries) == 2  # trim(a) and trim(b)
    assert all(s.kind is SpanKind.INTERNAL and s.parent is not None for s in retries)
    assert {s.parent.span_id for s in retries if s.parent is not None} == {root.context.span_id}

    calls = named(spans, SpanKind.CLIENT, "add")
    assert len(calls) == 2
    assert all(c.name == "pb.Trim/TrimSpace" and c.parent is not None for c in calls)
    assert {c.parent.span_id for c in calls if c.parent is not None} == {r.context.span_id for r in retries}

    served = named(spans, SpanKind.SERVER, "trim")
    assert len(served) == 2
    for server in served:
        assert server.parent is not None and server.parent.is_remote
        assert by_id[server.parent.span_id] in calls
    assert {c.context.span_id for c in calls} == {s.parent.span_id for s in served if s.parent is not None}

    # the round robin, visible in the trace: each trim instance served one call, and each client span names it
    assert {s.resource.attributes["service.instance.id"] for s in served} == {"trim-1", "trim-2"}
    called = {(c.attributes["server.address"], c.attributes["server.port"]) for c in calls if c.attributes}
    assert called == {("127.0.0.1", int(address.rpartition(":")[2])) for address in stack.trim_addresses}
    assert len(spans) == 1 + 2 + 2 + 2


async def test_two_concats_are_two_traces(stack: Stack) -> None:
    await concat_over_http(stack)
    await concat_over_http(stack)

    spans = stack.exporter.get_finished_spans()
    assert len(spans) == 14
    assert len({s.context.trace_id for s in spans}) == 2
