"""OpenAPI documentation for routes whose handlers take the raw Request: the request body schema, the error answers
and the request id header, which FastAPI cannot infer because such a handler declares no parameters."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from kit.endpoint import REQUEST_ID_HEADER
from kit.transport.http.error_encoder import ErrorBody

REF_PREFIX = "#/components/schemas/"
ALWAYS_DOCUMENTED = frozenset({413, 500})
"""Statuses every route can answer: any body may be too large and any handler may have a bug."""

_SCHEMAS_STATE_KEY = "kit_openapi_schemas"

REQUEST_ID_PARAMETER = {
    "name": REQUEST_ID_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Correlates the logs of one request across services; made when absent, echoed in the answer. Any value is"
        " accepted; one longer than 128 characters or not printable ASCII is replaced by a fresh id."
    ),
    "schema": {"type": "string"},
}


Refusals = Mapping[int, Mapping[str, str]]
"""The answers a well-formed request can still get (business refusals), by status: `{error text: when}`, e.g.
`{400: {"integer overflow": "a + b leaves int64"}}`. JSON Schema cannot say such things of a request (a sum of
two fields), so the document says them with the response: in its description and as examples of its body."""


def error_responses(statuses: Collection[int], refusals: Refusals | None = None) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses` documenting each status (and 413, 500) with the `{"error": ...}` body, and each of
    `refusals` in its status' description and as an example body."""
    responses: dict[int | str, dict[str, Any]] = {}
    refusals = refusals or {}
    for status in sorted(set(statuses) | ALWAYS_DOCUMENTED | set(refusals)):
        response: dict[str, Any] = {"model": ErrorBody, "description": HTTPStatus(status).phrase}
        explained = refusals.get(status, {})
        if explained:
            whens = "; ".join(f"`{error}` when {when}" for error, when in explained.items())
            response["description"] += f". Also for a well-formed request: {whens}"
            examples = {
                f"refusal-{i}": {"summary": when, "value": {"error": error}}
                for i, (error, when) in enumerate(explained.items(), 1)
            }
            response["content"] = {"application/json": {"examples": examples}}
        if status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
            }
        responses[status] = response
    return responses


def request_body_extra(app: FastAPI, model: type[BaseModel], *, method: str) -> dict[str, Any]:
    """`openapi_extra` for one route: the request id header and, for methods with a body, the JSON body that
    `model` describes, its schema added to the app's components."""
    extra: dict[str, Any] = {"parameters": [REQUEST_ID_PARAMETER]}
    if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
        schema = model.model_json_schema(ref_template=REF_PREFIX + "{model}", mode="validation")
        definitions: dict[str, Any] = schema.pop("$defs", {})
        definitions[model.__name__] = schema
        _add_component_schemas(app, definitions)
        extra["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF_PREFIX + model.__name__}}},
        }
    return extra


def _add_component_schemas(app: FastAPI, schemas: dict[str, Any]) -> None:
    """Makes `app.openapi()` carry `schemas` in its components, wrapping it once per app (FastAPI's documented way
    to extend the generated document); a name FastAPI already uses keeps FastAPI's schema."""
    registered: dict[str, Any] | None = getattr(app.state, _SCHEMAS_STATE_KEY, None)
    if registered is None:
        registered = {}
        setattr(app.state, _SCHEMAS_STATE_KEY, registered)
        app.openapi = _with_schemas(app.openapi, registered)  # type: ignore[method-assign]
    for name, schema in schemas.items():
        if registered.setdefault(name, schema) != schema:
            raise ValueError(f"two different request models are named {name!r}; OpenAPI needs distinct names")


def _with_schemas(generate: Callable[[], dict[str, Any]], schemas: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        document = generate()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in schemas.items():
            components.setdefault(name, schema)
        return document

    return openapi
