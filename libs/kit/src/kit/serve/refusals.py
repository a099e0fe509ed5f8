"""What records a request refused before its endpoint ran: counted in the request metrics and logged as a request
line, as a request the endpoint served is, with the refusal's outcome."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kit import log as kitlog
from kit.endpoint import Middleware, Rejected, chain
from kit.metrics import Metrics
from kit.transport.http import OnRefused


def observed(*, service: str, metrics: Metrics, logger: logging.Logger) -> Callable[[str], Middleware[Any, Any]]:
    """What sees every request of a method: its metrics (outermost) and its request log line."""

    def middleware(method: str) -> Middleware[Any, Any]:
        return chain(metrics.endpoint(method), kitlog.endpoint_logging(logger, service=service, method=method))

    return middleware


def rejections(*, service: str, metrics: Metrics, logger: logging.Logger) -> Callable[[str], Rejected]:
    """For each method, what records a request refused while decoding: the same metrics and request log line as a
    request the endpoint served, with the refusal's outcome, so a malformed request is counted and logged too."""
    observe = observed(service=service, metrics=metrics, logger=logger)

    def for_method(method: str) -> Rejected:
        middleware = observe(method)

        async def record(exc: Exception) -> None:
            async def refuse(_: Any) -> Any:
                raise exc

            # The refusal comes back out, counted and logged; the transport answers it.
            with contextlib.suppress(Exception):
                await middleware(refuse)(None)

        return record

    return for_method


UNROUTED = "unrouted"
"""The `method` label of HTTP requests refused before any route: on the wire, unknown path, method not allowed."""

_REFUSED_OUTCOMES = {
    400: "invalid_argument",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    414: "too_large",
    431: "too_large",
    503: "overloaded",
}


def refusals(*, service: str, metrics: Metrics, logger: logging.Logger) -> OnRefused:
    """What records an HTTP request refused before any route (see `UNROUTED`): counted in kit_requests_total and
    logged as a request line, with an outcome named after its status."""
    counters = metrics.families.requests

    def refused(status: int, message: str) -> None:
        outcome = _REFUSED_OUTCOMES.get(status, "invalid_argument")
        counters.labels(service, UNROUTED, "http", outcome).inc()
        extra = {"service": service, "method": UNROUTED, "transport": "http", "outcome": outcome, "status": status}
        logger.info(kitlog.EVENT, extra={**extra, "error": message})

    return refused


__all__ = ["UNROUTED", "observed", "refusals", "rejections"]
