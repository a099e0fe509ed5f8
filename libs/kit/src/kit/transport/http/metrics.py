"""The `/metrics` route every service has, for Prometheus."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response

from kit.transport.http.server import RawRoute


def add_metrics_route(app: FastAPI, registry: CollectorRegistry) -> None:
    """Serves `GET /metrics`: the metrics of `registry` in Prometheus' text format, or OpenMetrics when the
    scraper's `Accept` header asks for it."""

    async def metrics(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), 200, media_type=content_type)

    app.router.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        name="metrics",
        operation_id="metrics",
        summary="Prometheus metrics of this process",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        route_class_override=RawRoute,
    )
