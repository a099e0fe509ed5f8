"""Tracing on a fresh provider per test, every span kept in memory as soon as it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from kit.tracing import Tracing, with_exporters


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced(exporter: InMemorySpanExporter) -> Iterator[Tracing]:
    tracing = with_exporters([exporter], service="test", synchronous=True)
    yield tracing
    assert tracing.provider is not None
    tracing.provider.shutdown()


@pytest.fixture
def tracer(traced: Tracing) -> Tracer:
    assert traced.tracer is not None
    return traced.tracer
