"""The gRPC transport with a tracer, over a real grpc.aio server on 127.0.0.1: a CLIENT span per call whose context
travels in the metadata, a SERVER span per call continuing it, statuses from what was answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from kit.endpoint import Endpoint
from kit.errors import BusinessError, DeadlineExceeded, Internal, InvalidArgument, KitError, RateLimited, Unavailable
from kit.tracing import Tracing
from kit.transport.grpc import service_handler, start_server, unary
from support.trim_grpc import trim_endpoint
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

Call = Callable[[Endpoint[str, str]], Awaitable[Endpoint[str, str]]]


async def trim_spaces(s: str) -> str:
    return s.replace(" ", "")


@pytest.fixture
async def serve_trim(tracer: Tracer) -> AsyncIterator[Callable[..., Awaitable[Endpoint[str, str]]]]:
    """Serves an endpoint as /pb.Trim/TrimSpace and returns a client endpoint for it (both traced by default)."""
    servers: list[grpc.aio.Server] = []
    channels: list[grpc.aio.Channel] = []

    async def start(
        endpoint: Endpoint[str, str], *, server_tracer: Tracer | None = tracer, client_tracer: Tracer | None = tracer
    ) -> Endpoint[str, str]:
        method = unary(endpoint, request_type=TrimRequest, decode=lambda pb: pb.s, encode=lambda s: TrimResponse(s=s))
        server, port = await start_server([service_handler("pb.Trim", {"TrimSpace": method}, tracer=server_tracer)])
        servers.append(server)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        channels.append(channel)
        return trim_endpoint(channel, tracer=client_tracer, instance=f"127.0.0.1:{port}")

    yield start
    for channel in channels:
        await channel.close(None)
    for server in servers:
        await server.stop(None)


class ServerSpanEnded(SpanProcessor):
    """Sets its event when a SERVER span ends. A server answering with an error sends the status before its handler
    (and so its span) ends, so the caller may hear the answer first and must wait for the span."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def on_end(self, span: ReadableSpan) -> None:
        if span.kind is SpanKind.SERVER:
            self.event.set()


@pytest.fixture
def server_span_ended(traced: Tracing) -> asyncio.Event:
    assert traced.provider is not None
    processor = ServerSpanEnded()
    traced.provider.add_span_processor(processor)
    return processor.event


def by_kind(spans: tuple[ReadableSpan, ...], kind: SpanKind) -> ReadableSpan:
    [found] = [span for span in spans if span.kind is kind]
    return found


async def test_client_and_server_spans_share_one_trace(
    serve_trim: Callable[..., Awaitable[Endpoint[str, str]]], tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    seen: list[int] = []

    async def endpoint(s: str) -> str:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return s.replace(" ", "")

    client = await serve_trim(endpoint)
    with tracer.start_as_current_span("request") as outer:
        assert await client("1 0 1") == "101"

    spans = exporter.get_finished_spans()
    server, call = by_kind(spans, SpanKind.SERVER), by_kind(spans, SpanKind.CLIENT)
    assert server.name == call.name == "pb.Trim/TrimSpace"
    assert {s.context.trace_id for s in spans} == {outer.get_span_context().trace_id}
    assert call.parent is not None and call.parent.span_id == outer.get_span_context().span_id
    assert server.parent is not None and server.parent.span_id == call.context.span_id
    assert server.parent.is_remote
    assert seen == [server.context.span_id]
    rpc = {"rpc.system": "grpc", "rpc.service": "pb.Trim", "rpc.method": "TrimSpace"}
    assert server.attributes == {**rpc, "rpc.grpc.status_code": 0}
    assert call.attributes is not None and call.attributes["server.address"] == "127.0.0.1"
    assert {k: call.attributes[k] for k in (*rpc, "rpc.grpc.status_code")} == {**rpc, "rpc.grpc.status_code": 0}


STATUSES = [
    # error, gRPC code, server span status, client error.type, client span status
    (InvalidArgument("s is odd"), 3, StatusCode.UNSET, "invalid_argument", StatusCode.UNSET),
    (BusinessError("too long"), 3, StatusCode.UNSET, "business", StatusCode.UNSET),
    (RateLimited(retry_after=1), 8, StatusCode.UNSET, "rate_limited", StatusCode.ERROR),
    (Unavailable("no dependency"), 14, StatusCode.ERROR, "unavailable", StatusCode.ERROR),
    (DeadlineExceeded("late"), 4, StatusCode.ERROR, "deadline_exceeded", StatusCode.ERROR),
    (Internal("bug"), 13, StatusCode.ERROR, "internal", StatusCode.ERROR),
]


@pytest.mark.parametrize(("error", "code", "server_status", "error_type", "client_status"), STATUSES)
async def test_statuses_follow_what_was_answered(
    serve_trim: Callable[..., Awaitable[Endpoint[str, str]]],
    exporter: InMemorySpanExporter,
    server_span_ended: asyncio.Event,
    error: Exception,
    code: int,
    server_status: StatusCode,
    error_type: str,
    client_status: StatusCode,
) -> None:
    async def failing(s: str) -> str:
        raise error

    client = await serve_trim(failing)
    with pytest.raises(KitError):
        await client("a b")

    async with asyncio.timeout(5.0):
        await server_span_ended.wait()
    spans = exporter.get_finished_spans()
    server, call = by_kind(spans, SpanKind.SERVER), by_kind(spans, SpanKind.CLIENT)
    assert server.attributes is not None and server.attributes["rpc.grpc.status_code"] == code
    assert server.status.status_code is server_status
    assert call.attributes is not None and call.attributes["rpc.grpc.status_code"] == code
    assert call.attributes["error.type"] == error_type
    assert call.status.status_code is client_status


async def test_an_unreachable_instance_marks_the_client_span(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    channel = grpc.aio.insecure_channel("127.0.0.1:1")
    client = trim_endpoint(channel, tracer=tracer, timeout=5.0)
    try:
        with pytest.raises(Unavailable):
            await client("a")
    finally:
        await channel.close(None)

    [span] = exporter.get_finished_spans()
    assert span.attributes is not None and span.attributes["rpc.grpc.status_code"] == 14
    assert span.status.status_code is StatusCode.ERROR


@pytest.mark.parametrize(("server_traced", "client_traced"), [(False, True), (True, False), (False, False)])
async def test_a_side_without_a_tracer_makes_no_span(
    serve_trim: Callable[..., Awaitable[Endpoint[str, str]]],
    tracer: Tracer,
    exporter: InMemorySpanExporter,
    server_traced: bool,
    client_traced: bool,
) -> None:
    client = await serve_trim(
        trim_spaces,
        server_tracer=tracer if server_traced else None,
        client_tracer=tracer if client_traced else None,
    )
    assert await client("a b") == "ab"

    kinds = sorted(span.kind.name for span in exporter.get_finished_spans())
    assert kinds == sorted([*(["SERVER"] if server_traced else []), *(["CLIENT"] if client_traced else [])])
    if server_traced:
        # no client span sent a context, so the server span starts its own trace
        assert by_kind(exporter.get_finished_spans(), SpanKind.SERVER).parent is None
