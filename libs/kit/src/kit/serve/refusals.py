"""What records an HTTP request refused before any route (on the wire, unknown path, method not allowed): counted in
the request metrics and logged as a request line, with an outcome named after its status."""

from __future__ import annotations

import logging

from kit import log as kitlog
from kit.metrics import Metrics
from kit.transport.http import OnRefused

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


__all__ = ["UNROUTED", "refusals"]
