"""`Tracing`: the tracer a service hands its transports and middlewares, and the provider to flush on exit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.trace import Tracer

if TYPE_CHECKING:
    # The SDK (about 1 MB of a process) is imported by `with_exporters`, when tracing is switched on.
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.sdk.trace.sampling import Sampler

INSTRUMENTATION_SCOPE = "kit"
"""The instrumentation scope name of every span the kit makes."""


@dataclass(frozen=True, slots=True)
class Tracing:
    """What a service traces with. `tracer` goes to the transports (`tracer=` of `add_route`, `unary`'s
    `service_handler`, both `client_endpoint`s) and to `kit.tracing.span`; None means tracing is off and they do
    no tracing work at all. `close` flushes the spans still buffered: put it among `kit.run`'s closers.

    `Tracing()` is tracing switched off.
    """

    tracer: Tracer | None = None
    provider: TracerProvider | None = None

    @property
    def enabled(self) -> bool:
        """True when spans are made and exported."""
        return self.tracer is not None

    async def close(self) -> None:
        """Exports what is still buffered and shuts the exporters down (in a thread: an export may block on the
        network for its timeout). Does nothing when tracing is off; closing twice is harmless."""
        if self.provider is not None:
            await asyncio.to_thread(self.provider.shutdown)


def with_exporters(
    exporters: Sequence[SpanExporter],
    *,
    service: str,
    sampler: Sampler | None = None,
    synchronous: bool = False,
    resource: Resource | None = None,
) -> Tracing:
    """Tracing on a fresh provider that sends every finished span to each of `exporters`.

    Spans carry `service.name` = `service`, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES (read by the SDK's
    resource detector) name another; with `resource`, that resource with `service.name` = `service`. The sampler is
    `sampler`, or by default the one the SDK reads from OTEL_TRACES_SAMPLER (`parentbased_always_on` when unset).
    Spans are exported in batches from a background thread, or at the end of each span with `synchronous=True` (for
    tests and the console). The provider is not made global: whoever needs the tracer is handed it.
    """
    from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    named = Resource({SERVICE_NAME: service})
    if resource is None:  # the SDK's resource, named `service`, then what the environment says over it
        resource = Resource.create().merge(named).merge(OTELResourceDetector().detect())
    else:
        resource = resource.merge(named)
    provider = TracerProvider(sampler=sampler, resource=resource)
    for exporter in exporters:
        provider.add_span_processor(SimpleSpanProcessor(exporter) if synchronous else BatchSpanProcessor(exporter))
    return Tracing(provider.get_tracer(INSTRUMENTATION_SCOPE), provider)
