"""The OTLP exporter compose uses, for real: OTEL_TRACES_EXPORTER=otlp sends the spans as OTLP/HTTP protobuf to
OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, here a small receiver on 127.0.0.1.

The exporter package is a dependency of the project (the kit imports it only when asked for): a test run without
it fails here rather than skipping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import opentelemetry.exporter.otlp.proto.http  # noqa: F401  # the exporter from_env loads by name
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # type: ignore[import-not-found, unused-ignore]
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from kit.tracing import from_env

pytestmark = pytest.mark.integration


class Receiver(HTTPServer):
    """An OTLP/HTTP trace receiver that keeps every export request it gets."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[str, str, ExportTraceServiceRequest]] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        request = ExportTraceServiceRequest.FromString(body)
        self.server.received.append((self.path, self.headers.get("content-type", ""), request))
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


async def test_otlp_sends_the_spans_to_the_endpoint(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    # The exporter reads its own settings from the process environment, as OpenTelemetry's exporters do.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{receiver.server_port}")

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    tracing = from_env(service="add")
    assert tracing.tracer is not None
    with tracing.tracer.start_as_current_span("POST /concat"):
        pass
    await tracing.close()

    [(path, content_type, request)] = receiver.received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    [resource_spans] = request.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
    names = [s.name for scope in resource_spans.scope_spans for s in scope.spans]
    assert (service, names) == ("add", ["POST /concat"])
