"""The `/health` route every service has, for load balancers and Consul: whether this instance takes traffic."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from kit.transport.http.body import JSON_MEDIA_TYPE
from kit.transport.http.server import RawRoute

_SERVING = orjson.dumps({"status": "serving"})
_NOT_SERVING = orjson.dumps({"status": "not serving"})


class HealthBody(BaseModel):
    """The answer of `GET /health`: `serving`, or `not serving` while starting or draining."""

    status: str


def add_health_route(app: FastAPI, is_serving: Callable[[], bool]) -> None:
    """Serves `GET /health` (and `HEAD /health`, for probes that ask only for the status): 200
    `{"status": "serving"}` while `is_serving()` says so, else 503 `{"status": "not serving"}`."""

    async def health(request: Request) -> Response:
        if is_serving():
            return Response(_SERVING, 200, media_type=JSON_MEDIA_TYPE)
        return Response(_NOT_SERVING, 503, media_type=JSON_MEDIA_TYPE)

    for method, operation in (("GET", "health"), ("HEAD", "health_head")):
        app.router.add_api_route(
            "/health",
            health,
            methods=[method],
            name=operation,
            operation_id=operation,
            summary="Whether this instance takes traffic",
            response_model=HealthBody,
            responses={503: {"model": HealthBody, "description": "Starting or draining"}},
            route_class_override=RawRoute,
        )
