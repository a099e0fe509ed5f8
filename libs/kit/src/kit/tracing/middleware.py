"""`span`: an endpoint middleware that shows a step between the transports (the retry and balancer in front of a
remote service, say) as a span of its own, with the calls it makes beneath it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from opentelemetry.trace import SpanKind, Tracer

from kit.endpoint import Endpoint, Req, Resp
from kit.tracing.attributes import Attributes
from kit.tracing.spans import record_error


def span(
    tracer: Tracer | None, name: str, *, attributes: Attributes | None = None
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """A middleware that runs each call in an INTERNAL span `name`, a child of the current span; an error marks it
    (`kit.tracing.record_error`). With `tracer` None it hands the endpoint back unchanged: no tracing work at all.
    """
    # Spelled out rather than `Middleware[Req, Resp]`, so mypy keeps the returned middleware generic.

    def wrap(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        if tracer is None:
            return next_

        async def traced(request: Req) -> Resp:
            with tracer.start_as_current_span(
                name,
                kind=SpanKind.INTERNAL,
                attributes=attributes,
                record_exception=False,
                set_status_on_exception=False,
            ) as current:
                try:
                    return await next_(request)
                except (Exception, asyncio.CancelledError) as exc:
                    record_error(current, exc)
                    raise

        return traced

    return wrap
