"""The spans transports open: a SERVER span that continues the caller's trace, a CLIENT span whose context goes out
with the call, and how an answer or an error marks a span (what a span says of a call is `kit.tracing.attributes`).

Context crosses the wire through OpenTelemetry's configured text-map propagator (`opentelemetry.propagate`: W3C
`traceparent`/`tracestate` and `baggage` unless OTEL_PROPAGATORS says otherwise), in HTTP headers and gRPC metadata
alike: both are handed over as a mapping of lower-case keys to strings. Attribute names follow OpenTelemetry's
semantic conventions; these helpers take plain values, so the kit's tracing knows no transport library.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from kit.errors import CANCELLED, error_code, is_failure
from kit.tracing.attributes import ERROR_TYPE, HTTP_RESPONSE_STATUS_CODE, RPC_GRPC_STATUS_CODE, Attributes

# The gRPC codes a server span reports as an error (OpenTelemetry's gRPC conventions): UNKNOWN, DEADLINE_EXCEEDED,
# UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. The others are the caller's answer, not the server's fault.
_GRPC_SERVER_ERRORS = frozenset({2, 4, 12, 13, 14, 15})


@contextmanager
def server_span(
    tracer: Tracer, name: str, carrier: Mapping[str, str], *, attributes: Attributes | None = None
) -> Iterator[Span]:
    """Runs a block as the current SERVER span `name`, a child of the span context the caller sent in `carrier`
    (HTTP headers or gRPC metadata as a mapping), or the root of a new trace when it sent none.

    The span's status is the transport's to set from what it answered (`set_http_status`, `set_grpc_status`).
    """
    parent = propagate.extract(carrier)
    with tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.SERVER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        yield span


@contextmanager
def client_span(
    tracer: Tracer, name: str, *, attributes: Attributes | None = None
) -> Iterator[tuple[Span, dict[str, str]]]:
    """Runs a block as the current CLIENT span `name` and yields it with the headers (or metadata) that carry its
    context to the callee: send every item of that dict with the call. An error leaving the block marks the span
    (see `record_error`)."""
    with tracer.start_as_current_span(
        name,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        try:
            yield span, carrier
        except (Exception, asyncio.CancelledError) as exc:
            record_error(span, exc)
            raise


def record_error(span: Span, exc: BaseException) -> None:
    """Marks `span` with what went wrong: `error.type` is the kit error code (`cancelled` for a cancellation).

    Only a failure in `kit.errors.is_failure`'s sense (the judgement breakers and retries use) also records the
    exception and sets the ERROR status: a business refusal or bad input is the callee's answer, not a fault.
    """
    if isinstance(exc, asyncio.CancelledError):
        span.set_attribute(ERROR_TYPE, CANCELLED)
        return
    span.set_attribute(ERROR_TYPE, error_code(exc))
    if is_failure(exc):
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def set_http_status(span: Span, status: int, *, server: bool) -> None:
    """Records the HTTP status answered. A server span with a 5xx answer gets the ERROR status, as OpenTelemetry's
    HTTP conventions have it; a client span's status is left to the error it raised (`record_error`), so a call
    is judged the same way over HTTP and gRPC."""
    span.set_attribute(HTTP_RESPONSE_STATUS_CODE, status)
    if server and status >= 500:
        span.set_attribute(ERROR_TYPE, str(status))
        span.set_status(Status(StatusCode.ERROR))


def set_grpc_status(span: Span, code: int, *, server: bool) -> None:
    """Records the gRPC status code (its number: 0 OK, 14 UNAVAILABLE...). A server span gets the ERROR status for
    the codes that are the server's fault; a client span's status is left to the error it raised."""
    span.set_attribute(RPC_GRPC_STATUS_CODE, code)
    if server and code in _GRPC_SERVER_ERRORS:
        span.set_status(Status(StatusCode.ERROR))
