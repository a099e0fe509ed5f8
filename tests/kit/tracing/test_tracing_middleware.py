"""The `span` middleware: an INTERNAL span per call around an endpoint, nothing at all without a tracer."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from kit.errors import BusinessError, Unavailable
from kit.tracing import span


async def shout(s: str) -> str:
    return s.upper()


def test_without_a_tracer_the_endpoint_is_handed_back_unchanged() -> None:
    assert span(None, "trim retry")(shout) is shout


async def test_each_call_is_a_child_span_of_the_current_one(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    seen: list[int] = []

    async def endpoint(s: str) -> str:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return s.upper()

    traced = span(tracer, "trim retry", attributes={"peer.service": "trim"})(endpoint)
    with tracer.start_as_current_span("request"):
        assert await traced("a") == "A"
        assert await traced("b") == "B"

    first, second, outer = exporter.get_finished_spans()
    assert [first.name, second.name] == ["trim retry", "trim retry"]
    assert first.kind is SpanKind.INTERNAL
    assert first.attributes == {"peer.service": "trim"}
    assert all(s.parent is not None and s.parent.span_id == outer.context.span_id for s in (first, second))
    assert seen == [first.context.span_id, second.context.span_id]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unavailable("retries spent"), StatusCode.ERROR),
        (BusinessError("too long"), StatusCode.UNSET),
        (asyncio.CancelledError(), StatusCode.UNSET),
    ],
)
async def test_an_error_marks_the_span_and_goes_on(
    tracer: Tracer, exporter: InMemorySpanExporter, error: BaseException, status: StatusCode
) -> None:
    async def failing(s: str) -> str:
        raise error

    with pytest.raises(type(error)):
        await span(tracer, "trim retry")(failing)("a")

    [finished] = exporter.get_finished_spans()
    assert finished.status.status_code is status
    assert finished.attributes is not None and "error.type" in finished.attributes


async def test_spans_of_concurrent_calls_do_not_nest(tracer: Tracer, exporter: InMemorySpanExporter) -> None:
    async def endpoint(s: str) -> str:
        await asyncio.sleep(0)
        return s

    traced = span(tracer, "trim retry")(endpoint)
    with tracer.start_as_current_span("request"):
        await asyncio.gather(traced("a"), traced("b"))

    *children, outer = exporter.get_finished_spans()
    assert len(children) == 2
    assert {c.parent.span_id for c in children if c.parent is not None} == {outer.context.span_id}
