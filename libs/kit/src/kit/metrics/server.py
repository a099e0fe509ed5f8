"""The server side of the request metrics: requests in flight, their duration and the requests by outcome, per
method and transport.

The middleware resolves its `.labels(...)` children once per transport value and keeps them in a tiny dict, so a
request costs two gauge moves, one histogram observation and one counter increment, with no label lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter

from prometheus_client import Counter, Gauge, Histogram

from kit.endpoint import Endpoint, Req, Resp, transport
from kit.errors import outcome
from kit.metrics.families import OK, Families


class ServerSeries:
    """The children of one (method, transport): resolved once, reused by every request."""

    __slots__ = ("_labels", "_outcomes", "_requests", "duration", "in_flight")

    def __init__(self, families: Families, service: str, method: str, transport_: str) -> None:
        labels = (service, method, transport_)
        self._labels = labels
        self._requests = families.requests
        self._outcomes: dict[str, Counter] = {}
        self.duration: Histogram = families.duration.labels(*labels)
        self.in_flight: Gauge = families.in_flight.labels(*labels)

    def requests(self, outcome_: str) -> Counter:
        child = self._outcomes.get(outcome_)
        if child is None:
            child = self._outcomes[outcome_] = self._requests.labels(*self._labels, outcome_)
        return child


def server_middleware(
    families: Families, service: str, method: str
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """The middleware of `Metrics.endpoint`: the transport label is read from `kit.endpoint.transport()` at call
    time (`local` for in-process calls)."""
    series: dict[str, ServerSeries] = {}

    def middleware(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def instrumented(request: Req) -> Resp:
            transport_ = transport()
            s = series.get(transport_)
            if s is None:
                s = series[transport_] = ServerSeries(families, service, method, transport_)
            s.in_flight.inc()
            start = perf_counter()
            result = OK
            try:
                return await next_(request)
            except BaseException as exc:
                result = outcome(exc)
                raise
            finally:
                s.duration.observe(perf_counter() - start)
                s.in_flight.dec()
                s.requests(result).inc()

        return instrumented

    return middleware


__all__ = ["ServerSeries", "server_middleware"]
