"""Tracing on OpenTelemetry: one trace per request across services, off unless the OTEL_* variables ask for it.

`from_env` gives a service its `Tracing` (the tracer, None when off, and a `close` that flushes); the transports
take that tracer (`tracer=`) to open a SERVER span per request, continuing the caller's trace, and a CLIENT span per
outgoing call, whose context travels in the headers or metadata (W3C `traceparent`); `span` shows a step between
them, such as the retry and balancer in front of a remote service. Tests use `with_exporters` and an in-memory
exporter.
"""

from kit.tracing.attributes import Attributes, http_attributes, rpc_attributes, rpc_name, server_attributes
from kit.tracing.config import from_env
from kit.tracing.exporters import (
    DEFAULT_OTLP_PROTOCOL,
    PACKAGES,
    ExporterEntry,
    Finder,
    MissingExporter,
    exporter_names,
    find_exporter,
    load_exporter,
    otlp_protocol,
)
from kit.tracing.middleware import span
from kit.tracing.provider import INSTRUMENTATION_SCOPE, Tracing, with_exporters
from kit.tracing.spans import client_span, record_error, server_span, set_grpc_status, set_http_status

__all__ = [
    "DEFAULT_OTLP_PROTOCOL",
    "INSTRUMENTATION_SCOPE",
    "PACKAGES",
    "Attributes",
    "ExporterEntry",
    "Finder",
    "MissingExporter",
    "Tracing",
    "client_span",
    "exporter_names",
    "find_exporter",
    "from_env",
    "http_attributes",
    "load_exporter",
    "otlp_protocol",
    "record_error",
    "rpc_attributes",
    "rpc_name",
    "server_attributes",
    "server_span",
    "set_grpc_status",
    "set_http_status",
    "span",
    "with_exporters",
]
