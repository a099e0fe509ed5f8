"""trim over HTTP: POST /trim with {"s": <string>} answers {"s": <string>}; errors as {"error": ...}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict, StrictStr

from kit.endpoint import Rejected
from kit.transport.http import add_health_route, add_metrics_route, add_route, model_decoder, new_app
from trimsvc.endpoints import Set, TrimRequest, TrimResponse


class TrimBody(BaseModel):
    """The body of POST /trim."""

    model_config = ConfigDict(frozen=True)
    s: StrictStr


class TrimReply(BaseModel):
    """The answer of POST /trim: `s` without its spaces."""

    s: str


def _encode(response: TrimResponse) -> Any:
    return {"s": response.s}


def make_app(
    endpoints: Set,
    *,
    is_serving: Callable[[], bool],
    registry: CollectorRegistry,
    max_body_bytes: int = 65536,
    timeout: float | None = None,
    version: str = "0.1.0",
    tracer: Tracer | None = None,
    rejected: Callable[[str], Rejected] | None = None,
) -> FastAPI:
    """The HTTP API of trim: /trim, /health, /metrics, /docs, /openapi.json. `rejected` records, per
    method, the requests refused while decoding."""
    app = new_app(title="trim", version=version, description="Removes every space (U+0020) from a string.")
    add_route(
        app,
        "/trim",
        endpoints.trim_space_endpoint,
        decode=model_decoder(TrimBody, lambda body: TrimRequest(s=body.s)),
        encode=_encode,
        request_model=TrimBody,
        response_model=TrimReply,
        summary="Remove every space character from s",
        max_body_bytes=max_body_bytes,
        timeout=timeout,
        statuses=(400, 413, 429, 500, 504),
        operation_id="trimSpace",
        tracer=tracer,
        on_rejected=rejected("TrimSpace") if rejected else None,
    )
    add_health_route(app, is_serving)
    add_metrics_route(app, registry)
    return app


__all__ = ["TrimBody", "TrimReply", "make_app"]
