"""Server and client spans, how errors and answers mark them, and the attribute helpers."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from kit import errors
from kit.tracing import (
    client_span,
    http_attributes,
    record_error,
    rpc_attributes,
    rpc_name,
    server_attributes,
    server_span,
    set_grpc_status,
    set_http_status,
)

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def test_a_server_span_continues_the_callers_trace(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    with server_span(tracer, "POST /concat", {"traceparent": TRACEPARENT}, attributes={"http.route": "/concat"}):
        pass

    [span] = exporter.get_finished_spans()
    assert span.kind is SpanKind.SERVER
    assert span.parent is not None and span.parent.is_remote
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes == {"http.route": "/concat"}


@pytest.mark.parametrize("carrier", [{}, {"traceparent": "garbage"}, {"x-request-id": "r1"}])
def test_a_server_span_without_a_valid_caller_context_starts_a_trace(
    tracer: Tracer, exporter: InMemorySpanExporter, carrier: dict[str, str]
) -> None:
    with server_span(tracer, "POST /sum", carrier):
        pass

    [span] = exporter.get_finished_spans()
    assert span.parent is None


def test_a_client_span_sends_its_own_context(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    with server_span(tracer, "in", {}), client_span(tracer, "pb.Trim/TrimSpace") as (current, carrier):
        sent = dict(carrier)
        context = current.get_span_context()

    client, server = exporter.get_finished_spans()
    assert client.kind is SpanKind.CLIENT
    assert client.parent is not None and client.parent.span_id == server.context.span_id
    assert sent["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    assert context.trace_flags.sampled


ERRORS = [
    (errors.BusinessError("integer overflow"), "business", StatusCode.UNSET),
    (errors.InvalidArgument("missing a"), "invalid_argument", StatusCode.UNSET),
    (errors.PayloadTooLarge("too big"), "too_large", StatusCode.UNSET),
    (errors.RateLimited(), "rate_limited", StatusCode.ERROR),
    (errors.Unavailable("no trim"), "unavailable", StatusCode.ERROR),
    (errors.ConnectionFailed("refused"), "unavailable", StatusCode.ERROR),
    (errors.DeadlineExceeded("late"), "deadline_exceeded", StatusCode.ERROR),
    (errors.Internal("bug"), "internal", StatusCode.ERROR),
    (KeyError("bug"), "internal", StatusCode.ERROR),
    (asyncio.CancelledError(), "cancelled", StatusCode.UNSET),
]


@pytest.mark.parametrize(("error", "error_type", "status"), ERRORS)
def test_an_error_leaving_a_client_span_marks_it(
    tracer: Tracer, exporter: InMemorySpanExporter, error: BaseException, error_type: str, status: StatusCode
) -> None:
    with pytest.raises(type(error)), client_span(tracer, "call"):
        raise error

    [span] = exporter.get_finished_spans()
    assert span.attributes is not None and span.attributes["error.type"] == error_type
    assert span.status.status_code is status
    events = [event.name for event in span.events]
    assert events == (["exception"] if status is StatusCode.ERROR else [])


def test_record_error_keeps_the_message_in_the_status(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    with tracer.start_as_current_span("call") as span:
        record_error(span, errors.Unavailable("no trim instance"))

    [finished] = exporter.get_finished_spans()
    assert finished.status.description == "Unavailable: no trim instance"


HTTP_STATUSES = [
    (200, True, StatusCode.UNSET),
    (400, True, StatusCode.UNSET),
    (429, True, StatusCode.UNSET),
    (503, True, StatusCode.ERROR),
    (200, False, StatusCode.UNSET),
    (404, False, StatusCode.UNSET),  # a client span's status comes from the error it raised
    (504, False, StatusCode.UNSET),
]


@pytest.mark.parametrize(("status", "server", "expected"), HTTP_STATUSES)
def test_set_http_status(
    tracer: Tracer, exporter: InMemorySpanExporter, status: int, server: bool, expected: StatusCode
) -> None:
    with tracer.start_as_current_span("call") as span:
        set_http_status(span, status, server=server)

    [finished] = exporter.get_finished_spans()
    assert finished.attributes is not None
    assert finished.attributes["http.response.status_code"] == status
    assert finished.status.status_code is expected
    assert finished.attributes.get("error.type") == (str(status) if expected is StatusCode.ERROR else None)


GRPC_STATUSES = [
    (0, True, StatusCode.UNSET),
    (3, True, StatusCode.UNSET),  # INVALID_ARGUMENT: the caller's mistake
    (8, True, StatusCode.UNSET),  # RESOURCE_EXHAUSTED
    (2, True, StatusCode.ERROR),  # UNKNOWN
    (4, True, StatusCode.ERROR),  # DEADLINE_EXCEEDED
    (13, True, StatusCode.ERROR),  # INTERNAL
    (14, True, StatusCode.ERROR),  # UNAVAILABLE
    (14, False, StatusCode.UNSET),  # a client span's status comes from the error it raised
]


@pytest.mark.parametrize(("code", "server", "expected"), GRPC_STATUSES)
def test_set_grpc_status(
    tracer: Tracer, exporter: InMemorySpanExporter, code: int, server: bool, expected: StatusCode
) -> None:
    with tracer.start_as_current_span("call") as span:
        set_grpc_status(span, code, server=server)

    [finished] = exporter.get_finished_spans()
    assert finished.attributes is not None and finished.attributes["rpc.grpc.status_code"] == code
    assert finished.status.status_code is expected


def test_http_attributes() -> None:
    assert http_attributes("post", "/concat") == {"http.request.method": "POST", "http.route": "/concat"}


def test_rpc_name_and_attributes() -> None:
    assert rpc_name("/pb.Trim/TrimSpace") == "pb.Trim/TrimSpace"
    assert rpc_attributes("/pb.Trim/TrimSpace") == {
        "rpc.system": "grpc",
        "rpc.service": "pb.Trim",
        "rpc.method": "TrimSpace",
    }


@pytest.mark.parametrize(
    ("instance", "attributes"),
    [
        ("127.0.0.1:8975", {"server.address": "127.0.0.1", "server.port": 8975}),
        ("[::1]:8975", {"server.address": "::1", "server.port": 8975}),
        ("trim.local", {"server.address": "trim.local"}),
        (None, {}),
        ("", {}),
    ],
)
def test_server_attributes(instance: str | None, attributes: dict[str, object]) -> None:
    assert server_attributes(instance) == attributes
