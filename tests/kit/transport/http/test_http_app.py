import re

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from kit.errors import RateLimited, Unavailable
from kit.transport.http import add_health_route, new_app


class Item(BaseModel):
    a: int


def make_app() -> FastAPI:
    app = new_app(title="plain", version="2.0", description="routes that are not the kit's")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail")

    @app.get("/limited")
    async def limited() -> None:
        raise RateLimited("too many", retry_after=1.5)

    @app.get("/down")
    async def down() -> None:
        raise Unavailable("dependency down")

    @app.post("/items")
    async def items(item: Item) -> Item:
        return item

    return app


async def request(method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_an_unknown_path_is_a_404_error_body() -> None:
    response = await request("GET", "/nowhere")

    assert (response.status_code, response.json()) == (404, {"error": "Not Found"})
    assert response.headers["content-type"] == "application/json"


async def test_a_wrong_method_is_a_405_error_body_with_allow() -> None:
    response = await request("DELETE", "/items")

    assert (response.status_code, response.json()) == (405, {"error": "Method Not Allowed"})
    assert response.headers["allow"] == "POST"


async def test_a_bug_in_any_route_is_a_500_without_its_details() -> None:
    response = await request("GET", "/boom")

    assert (response.status_code, response.json()) == (500, {"error": "internal error"})
    assert "secret" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("path", "status", "body", "retry_after"),
    [("/limited", 429, {"error": "too many"}, "2"), ("/down", 503, {"error": "service unavailable"}, "1")],
)
async def test_kit_errors_raised_by_any_route_keep_their_status(
    path: str, status: int, body: dict[str, str], retry_after: str | None
) -> None:
    response = await request("GET", path)

    assert (response.status_code, response.json()) == (status, body)
    assert response.headers.get("retry-after") == retry_after


@pytest.mark.parametrize(
    ("content", "message"),
    [(b'{"b": 1}', "a: field required"), (b'{"a": "x"}', "a: must be an integer"), (b"{", "malformed JSON")],
)
async def test_fastapi_validation_errors_are_400_error_bodies(content: bytes, message: str) -> None:
    response = await request("POST", "/items", content=content, headers={"content-type": "application/json"})

    assert (response.status_code, response.json()) == (400, {"error": message})


async def test_the_docs_and_the_openapi_document_are_served() -> None:
    docs = await request("GET", "/docs")
    document = await request("GET", "/openapi.json")

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert document.json()["info"] == {
        "title": "plain",
        "version": "2.0",
        "description": "routes that are not the kit's",
    }


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_load_every_asset_from_the_service_itself(page: str) -> None:
    html = (await request("GET", page)).text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert [a for a in assets if "://" in a or a.startswith("//")] == []  # no CDN: works without the internet
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts, html
    for asset in assets:
        served = await request("GET", asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset


async def test_a_trailing_slash_is_a_404_not_a_redirect_built_from_the_host_header() -> None:
    app = new_app(title="t", version="1")
    add_health_route(app, lambda: True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/health/", headers={"host": "evil.example"})
        head = await http.head("/health")
    assert (response.status_code, "location" in response.headers) == (404, False)
    assert head.status_code == 200
