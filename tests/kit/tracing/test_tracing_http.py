"""The HTTP transport with a tracer: a SERVER span per request continuing the caller's trace, a CLIENT span per
call sending its context in `traceparent`; and no tracing work without a tracer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from kit.endpoint import Endpoint
from kit.errors import BusinessError, Internal, InvalidArgument, RateLimited, Unavailable
from kit.transport.http import client_endpoint
from support import sum_route
from support.sum_route import Pair, make_app

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    return sum_route.asgi_client(app, base_url="http://add:8080")


async def add(pair: Pair) -> int:
    return pair.a + pair.b


def sum_client(client: httpx.AsyncClient, tracer: Tracer | None) -> Endpoint[Pair, int]:
    return client_endpoint(
        client, "/sum", encode=lambda p: {"a": p.a, "b": p.b}, decode=lambda body: int(body["v"]), tracer=tracer
    )


async def test_a_request_is_a_server_span_continuing_the_callers_trace(
    tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    current: list[int] = []

    async def endpoint(pair: Pair) -> int:
        current.append(trace.get_current_span().get_span_context().span_id)
        return pair.a + pair.b

    async with asgi_client(make_app(endpoint, tracer=tracer)) as http:
        response = await http.post("/sum", json={"a": 1, "b": 2}, headers={"traceparent": TRACEPARENT})

    assert response.json() == {"v": 3}
    [span] = exporter.get_finished_spans()
    assert span.name == "POST /sum"
    assert span.kind is SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes == {"http.request.method": "POST", "http.route": "/sum", "http.response.status_code": 200}
    assert current == [span.context.span_id]


ANSWERS = [
    (BusinessError("integer overflow"), 400, StatusCode.UNSET),
    (RateLimited(retry_after=1), 429, StatusCode.UNSET),
    (Unavailable("no trim"), 503, StatusCode.ERROR),
    (Internal("bug"), 500, StatusCode.ERROR),
]


@pytest.mark.parametrize(("error", "status", "span_status"), ANSWERS)
async def test_the_server_spans_status_follows_the_answer(
    tracer: Tracer, exporter: InMemorySpanExporter, error: Exception, status: int, span_status: StatusCode
) -> None:
    async def failing(pair: Pair) -> int:
        raise error

    async with asgi_client(make_app(failing, tracer=tracer)) as http:
        response = await http.post("/sum", json={"a": 1, "b": 2})

    assert response.status_code == status
    [span] = exporter.get_finished_spans()
    assert span.parent is None
    assert span.attributes is not None and span.attributes["http.response.status_code"] == status
    assert span.status.status_code is span_status


async def test_a_malformed_request_is_traced_too(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    async with asgi_client(make_app(add, tracer=tracer)) as http:
        response = await http.post("/sum", content=b"{not json")

    assert response.status_code == 400
    [span] = exporter.get_finished_spans()
    assert span.attributes is not None and span.attributes["http.response.status_code"] == 400


async def test_without_a_tracer_a_route_makes_no_span(exporter: InMemorySpanExporter) -> None:
    current: list[bool] = []

    async def endpoint(pair: Pair) -> int:
        current.append(trace.get_current_span().get_span_context().is_valid)
        return 0

    async with asgi_client(make_app(endpoint)) as http:
        await http.post("/sum", json={"a": 1, "b": 2}, headers={"traceparent": TRACEPARENT})

    assert current == [False]
    assert exporter.get_finished_spans() == ()


class Recorder:
    """A fake instance: records each request's headers and answers with a fixed status and body."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.status = status
        self.body = {"v": 3} if body is None else body
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        return httpx.Response(self.status, json=self.body)


async def test_a_call_is_a_client_span_sending_its_context(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder), base_url="http://trim:8985") as http:
        with tracer.start_as_current_span("request"):
            assert await sum_client(http, tracer)(Pair(1, 2)) == 3

    client, outer = exporter.get_finished_spans()
    assert client.name == "POST /sum"
    assert client.kind is SpanKind.CLIENT
    assert client.parent is not None and client.parent.span_id == outer.context.span_id
    assert client.attributes == {
        "http.request.method": "POST",
        "http.route": "/sum",
        "server.address": "trim",
        "server.port": 8985,
        "http.response.status_code": 200,
    }
    [headers] = recorder.headers
    ctx = client.context
    assert headers["traceparent"] == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"


@pytest.mark.parametrize(
    ("status", "error", "error_type", "span_status"),
    [
        (400, InvalidArgument, "invalid_argument", StatusCode.UNSET),
        (503, Unavailable, "unavailable", StatusCode.ERROR),
    ],
)
async def test_an_error_answer_marks_the_client_span(
    tracer: Tracer,
    exporter: InMemorySpanExporter,
    status: int,
    error: type[Exception],
    error_type: str,
    span_status: StatusCode,
) -> None:
    recorder = Recorder(status, {"error": "no"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder), base_url="http://trim:8985") as http:
        with pytest.raises(error):
            await sum_client(http, tracer)(Pair(1, 2))

    [span] = exporter.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == status
    assert span.attributes["error.type"] == error_type
    assert span.status.status_code is span_status


async def test_without_a_tracer_a_call_sends_no_traceparent(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder), base_url="http://trim:8985") as http:
        with tracer.start_as_current_span("request"):
            await sum_client(http, None)(Pair(1, 2))

    assert "traceparent" not in recorder.headers[0]
    assert [span.name for span in exporter.get_finished_spans()] == ["request"]


async def test_client_and_server_share_one_trace(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    async with asgi_client(make_app(add, tracer=tracer)) as http:
        assert await sum_client(http, tracer)(Pair(2, 3)) == 5

    server, client = exporter.get_finished_spans()
    assert (server.kind, client.kind) == (SpanKind.SERVER, SpanKind.CLIENT)
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert server.parent.is_remote
