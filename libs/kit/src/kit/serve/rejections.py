"""What records a request its transport refused while decoding it: counted in the request metrics and logged as a
request line, as a request the endpoint served is, with the refusal's outcome."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kit import log as kitlog
from kit.endpoint import Middleware, Rejected, chain
from kit.metrics import Metrics


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


__all__ = ["observed", "rejections"]
