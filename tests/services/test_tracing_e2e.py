"""One Concat, one trace: add's server span, the retry/balancer span, one gRPC client span per trim call and trim's
server spans, linked parent to child across the wire.

add and two trim instances are the real onions of both services (`addsvc.main.build` with `trimsvc.client.new`,
`trimsvc.main.build`), each given a tracer of its own TracerProvider (its own `service.name`) writing to one
in-memory exporter, as their `serve` does with the tracer from the environment. Every hop between services is a
real HTTP or gRPC call on 127.0.0.1, and the trim server spans are checked to have *remote* parents: the context
crossed in the metadata, not in-process. Hedging is off and the budgets wide, so a busy machine makes no extra span.
"""

from __future__ import annotations

import logging
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
from prometheus_client import CollectorRegistry

from addsvc import main as addmain
from addsvc.config import Config as AddConfig
from addsvc.pb import add_pb2
from kit import tracing
from kit.metrics import Metrics
from kit.run import Serving
from kit.sd import FixedInstancer
from kit.sd.lb import Policy
from kit.transport.grpc import start_server
from trimsvc import client as trimclient
from trimsvc import main as trimmain
from trimsvc.config import Config as TrimConfig

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
    metrics = Metrics(CollectorRegistry(), service="trim")
    logger = logging.getLogger("test.trim")
    onion = trimmain.build(TrimConfig(), metrics=metrics, serving=Serving(), logger=logger, tracer=trace.tracer)
    server, port = await start_server(onion.grpc_handlers)
    return server, f"127.0.0.1:{port}"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    exporter = InMemorySpanExporter()
    trims = [await start_trim(traced(exporter, "trim", f"trim-{n}")) for n in (1, 2)]
    addresses = tuple(address for _, address in trims)

    add_trace = traced(exporter, "add", "add-1")
    cfg = AddConfig(
        max_concat_length=64,
        request_timeout=30.0,
        trim_instances=addresses,
        trim=Policy(timeout=10.0, hedge=False, slow_after=60.0),
    )
    metrics = Metrics(CollectorRegistry(), service="add")
    trim = trimclient.new(FixedInstancer(addresses), policy=cfg.trim, metrics=metrics, tracer=add_trace.tracer)
    serving = Serving()
    logger = logging.getLogger("test.add")
    onion = addmain.build(cfg, trimmer=trim, metrics=metrics, serving=serving, logger=logger, tracer=add_trace.tracer)
    add_server, add_port = await start_server(onion.grpc_handlers)
    add_channel = grpc.aio.insecure_channel(f"127.0.0.1:{add_port}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=onion.app), base_url="http://add") as http:
        yield Stack(http, add_channel, exporter, addresses)
    await add_channel.close(None)
    await add_server.stop(None)
    await trim.close()
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
    reply = await call(add_pb2.ConcatRequest(a="1 0 1", b=" 2 "), timeout=30.0)
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
