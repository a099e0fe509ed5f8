"""add over HTTP: POST /sum and POST /concat with the JSON shapes of go-kit's addsvc; errors as {"error": ...}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict, StrictStr

from addsvc.endpoints import ConcatRequest, ConcatResponse, Set, SumRequest, SumResponse
from addsvc.service import DEFAULT_MAX_CONCAT_LENGTH, ResultTooLong
from kit.endpoint import INT64_MAX, Rejected
from kit.transport.http import Int64, Shed, add_health_route, add_metrics_route, add_route, model_decoder, new_app


class SumBody(BaseModel):
    """The body of POST /sum: two signed 64-bit integers. A sum that leaves int64 is refused: 400 `integer
    overflow`."""

    # the second example is the refusal: the OpenAPI document shows it, schemathesis sends it
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"a": 1, "b": 2}, {"a": INT64_MAX, "b": 1}]})
    a: Int64
    b: Int64


class SumReply(BaseModel):
    """The answer of POST /sum."""

    v: int


class ConcatBody(BaseModel):
    """The body of POST /concat: two strings, trimmed of spaces before they are joined."""

    # Swagger's "Try it out" sends the first example (without one it sent "string" twice)
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"a": "1 0 1", "b": "2"}]})
    a: StrictStr
    b: StrictStr


class ConcatReply(BaseModel):
    """The answer of POST /concat: trim(a) followed by trim(b)."""

    v: str


TOO_LONG_EXAMPLE = str(ResultTooLong(DEFAULT_MAX_CONCAT_LENGTH + 1, DEFAULT_MAX_CONCAT_LENGTH))
"""An example of /concat's refusal of a result too long (the numbers vary)."""


def _encode_v(response: SumResponse | ConcatResponse) -> Any:
    return {"v": response.v}


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
    shed: Callable[[str], Shed] | None = None,
) -> FastAPI:
    """The HTTP API of add: /sum, /concat, /health, /metrics, /docs, /openapi.json. `rejected` records, per
    method, the requests refused while decoding; `shed` gives, per method, the gate that sheds a request before it
    is read."""
    app = new_app(
        title="add",
        version=version,
        description="Sums integers and concatenates strings (after trim has removed their spaces).",
    )
    add_route(
        app,
        "/sum",
        endpoints.sum_endpoint,
        decode=model_decoder(SumBody, lambda body: SumRequest(a=body.a, b=body.b)),
        encode=_encode_v,
        request_model=SumBody,
        response_model=SumReply,
        summary="a + b, or 400 `integer overflow` when it leaves int64",
        max_body_bytes=max_body_bytes,
        timeout=timeout,
        statuses=(400, 413, 429, 500, 504),
        refusals={400: {"integer overflow": "a + b leaves int64 (a and b are valid, their sum is not)"}},
        operation_id="sum",
        tracer=tracer,
        on_rejected=rejected("Sum") if rejected else None,
        shed=shed("Sum") if shed else None,
    )
    add_route(
        app,
        "/concat",
        endpoints.concat_endpoint,
        decode=model_decoder(ConcatBody, lambda body: ConcatRequest(a=body.a, b=body.b)),
        encode=_encode_v,
        request_model=ConcatBody,
        response_model=ConcatReply,
        summary="trim(a) followed by trim(b); 400 past the maximum length, 503 when trim cannot be reached",
        max_body_bytes=max_body_bytes,
        timeout=timeout,
        statuses=(400, 413, 429, 500, 503, 504),
        refusals={400: {TOO_LONG_EXAMPLE: "trim(a) followed by trim(b) is longer than ADD_MAX_CONCAT_LENGTH"}},
        operation_id="concat",
        tracer=tracer,
        on_rejected=rejected("Concat") if rejected else None,
        shed=shed("Concat") if shed else None,
    )
    add_health_route(app, is_serving)
    add_metrics_route(app, registry)
    return app


__all__ = ["ConcatBody", "ConcatReply", "SumBody", "SumReply", "make_app"]
