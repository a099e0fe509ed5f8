from dataclasses import dataclass
from typing import Any

import httpx
import pydantic
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from kit.transport.http import Int64, add_health_route, add_metrics_route, add_route, model_decoder, new_app


@dataclass(frozen=True)
class Pair:
    a: int
    b: int


class SumBody(BaseModel):
    a: Int64
    b: Int64


class SumReply(BaseModel):
    v: int


class Point(BaseModel):
    x: Int64


class ShapeBody(BaseModel):
    points: list[Point]


class ShapeReply(BaseModel):
    n: int


async def add(request: Pair) -> int:
    return request.a + request.b


async def count(request: ShapeBody) -> int:
    return len(request.points)


def add_shape_count(app: FastAPI, path: str, **documented: Any) -> None:
    """The route counting a shape's points (its request model nests another) at `path`."""
    add_route(
        app,
        path,
        count,
        decode=model_decoder(ShapeBody, lambda body: body),
        encode=lambda n: {"n": n},
        request_model=ShapeBody,
        response_model=ShapeReply,
        **documented,
    )


def make_app() -> FastAPI:
    app = new_app(title="add", version="1.2.3")
    add_route(
        app,
        "/sum",
        add,
        decode=model_decoder(SumBody, lambda body: Pair(a=body.a, b=body.b)),
        encode=lambda v: {"v": v},
        request_model=SumBody,
        response_model=SumReply,
        summary="a + b",
        statuses=(400, 429),
        refusals={400: {"integer overflow": "a + b leaves int64"}},
        timeout=1.0,
    )
    add_shape_count(app, "/v1/shape-count", operation_id="countPoints")
    add_health_route(app, lambda: True)
    add_metrics_route(app, CollectorRegistry())
    return app


@pytest.fixture
async def document() -> dict[str, Any]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix)
    schema: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(prefix)]
    return schema


def test_each_route_lists_its_statuses_plus_413_500_and_504_with_a_timeout(document: dict[str, Any]) -> None:
    sum_responses = document["paths"]["/sum"]["post"]["responses"]
    shape_responses = document["paths"]["/v1/shape-count"]["post"]["responses"]

    assert sorted(sum_responses) == ["200", "400", "413", "429", "500", "504"]
    assert sorted(shape_responses) == ["200", "400", "413", "500"]


def test_error_statuses_document_the_error_body(document: dict[str, Any]) -> None:
    responses = document["paths"]["/sum"]["post"]["responses"]

    for status in ("400", "413", "429", "500", "504"):
        schema = resolve(document, responses[status]["content"]["application/json"]["schema"]["$ref"])
        assert schema["properties"] == {"error": {"title": "Error", "type": "string"}}
        assert schema["required"] == ["error"]
    assert "Retry-After" in responses["429"]["headers"]


def test_the_200_answer_is_the_response_model(document: dict[str, Any]) -> None:
    ok = document["paths"]["/sum"]["post"]["responses"]["200"]

    assert resolve(document, ok["content"]["application/json"]["schema"]["$ref"])["required"] == ["v"]


def test_the_request_body_is_the_request_model(document: dict[str, Any]) -> None:
    body = document["paths"]["/sum"]["post"]["requestBody"]

    assert body["required"] is True
    schema = resolve(document, body["content"]["application/json"]["schema"]["$ref"])
    assert schema["required"] == ["a", "b"]
    assert schema["properties"]["a"]["format"] == "int64"


def test_nested_request_models_are_in_the_components(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/shape-count"]["post"]["requestBody"]
    schema = resolve(document, body["content"]["application/json"]["schema"]["$ref"])

    point = resolve(document, schema["properties"]["points"]["items"]["$ref"])
    assert point["required"] == ["x"]


def test_no_validation_error_is_documented_since_none_is_ever_sent(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "422" not in document["paths"]["/sum"]["post"]["responses"]


def test_operations_have_ids_summaries_and_the_request_id_header(document: dict[str, Any]) -> None:
    sum_op = document["paths"]["/sum"]["post"]
    shape_op = document["paths"]["/v1/shape-count"]["post"]

    assert (sum_op["operationId"], sum_op["summary"]) == ("sum", "a + b")
    assert shape_op["operationId"] == "countPoints"
    assert [p["name"] for p in sum_op["parameters"]] == ["x-request-id"]


def test_health_and_metrics_are_documented(document: dict[str, Any]) -> None:
    assert sorted(document["paths"]["/health"]["get"]["responses"]) == ["200", "503"]
    assert "/metrics" in document["paths"]


async def test_the_document_is_stable_across_requests() -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        first = (await client.get("/openapi.json")).json()
        second = (await client.get("/openapi.json")).json()

    assert first == second


def test_two_different_request_models_with_one_name_are_refused() -> None:
    app = make_app()
    impostor = pydantic.create_model("ShapeBody", other=(str, ...))

    async def echo(request: BaseModel) -> BaseModel:
        return request

    with pytest.raises(ValueError, match="named 'ShapeBody'"):
        add_route(
            app,
            "/other",
            echo,
            decode=model_decoder(impostor, lambda body: body),
            encode=lambda body: body.model_dump(),
            request_model=impostor,
            response_model=ShapeReply,
        )


def test_one_request_model_may_serve_several_routes() -> None:
    app = make_app()

    add_shape_count(app, "/v2/shape-count")

    assert "/v2/shape-count" in app.openapi()["paths"]


def test_a_business_refusal_is_described_with_its_status_and_shown_as_an_example_body(document: dict[str, Any]) -> None:
    bad = document["paths"]["/sum"]["post"]["responses"]["400"]
    assert (
        bad["description"] == "Bad Request. Also for a well-formed request: `integer overflow` when a + b leaves int64"
    )
    content = bad["content"]["application/json"]
    assert list(content["examples"].values()) == [
        {"summary": "a + b leaves int64", "value": {"error": "integer overflow"}}
    ]
    assert resolve(document, content["schema"]["$ref"])["required"] == ["error"]  # the examples keep the schema
    shape_bad = document["paths"]["/v1/shape-count"]["post"]["responses"]["400"]
    assert (shape_bad["description"], "examples" in shape_bad["content"]["application/json"]) == ("Bad Request", False)
