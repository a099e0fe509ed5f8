from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from kit import endpoint as kep
from kit.endpoint import INT64_MAX, INT64_MIN
from kit.transport.http import add_route, model_decoder, new_app
from kit.transport.http.json_body import parse_json
from support.sum_route import Pair, asgi_client, make_app

ERROR_ONLY = {"error"}


class Seen:
    """The requests that reached the endpoint."""

    def __init__(self) -> None:
        self.requests: list[Pair] = []


def summing(seen: Seen) -> kep.Endpoint[Pair, int]:
    async def add(request: Pair) -> int:
        seen.requests.append(request)
        return request.a + request.b

    return add


async def post(app: FastAPI, content: bytes) -> httpx.Response:
    async with asgi_client(app) as client:
        return await client.post("/sum", content=content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1, "b": ', "malformed JSON"),
        (b"{'a': 1}", "malformed JSON"),
        (b'{"a": NaN, "b": 1}', "malformed JSON"),
        (b'{"a": 1} trailing', "malformed JSON"),
        (b"", "request body is empty"),
        (b"  \n ", "request body is empty"),
        (b'{"a": "\xff", "b": 1}', "request body is not valid UTF-8"),
        (b'{"b": 2}', "a: field required"),
        (b'{"a": "1", "b": 2}', "a: must be an integer"),
        (b'{"a": true, "b": 2}', "a: must be an integer"),
        (b'{"a": 1, "b": 2.000001}', "b: must be an integer"),
        (b'{"a": 1, "b": 1.5}', "b: must be an integer"),
        (b'{"a": 9223372036854775808, "b": 0}', "a: out of int64 range"),
        (b'{"a": -9223372036854775809, "b": 0}', "a: out of int64 range"),
        (b'{"a": 123456789012345678901234567890, "b": 0}', "a: out of int64 range"),
        (b'{"a": -9.3e18, "b": 0}', "a: out of int64 range"),
        (b'{"a": 9223372036854775807.0, "b": 0}', "a: out of int64 range"),  # 2**63 - 1 as a float is 2**63
        (b'{"a": 1e19, "b": 0}', "a: out of int64 range"),
        (b'{"a": "12345678901234567890", "b": 0}', "a: must be an integer"),  # 19 digits in a string
        (b"[1, 2]", "body must be a JSON object"),
        (b"null", "body must be a JSON object"),
    ],
)
async def test_bad_input_is_a_400_with_a_clear_message(content: bytes, message: str) -> None:
    seen = Seen()

    response = await post(make_app(summing(seen)), content)

    assert response.status_code == 400
    assert response.json().keys() == ERROR_ONLY
    error = response.json()["error"]
    # the parser's own words (what and where) follow a malformed-JSON message
    assert error == message or (message == "malformed JSON" and error.startswith("malformed JSON: "))
    assert seen.requests == []


@pytest.mark.parametrize(
    ("content", "a"),
    [
        (b'{"a": -254141.0, "b": 0}', -254141),
        (b'{"a": 9007199254740992.0, "b": 0}', 2**53),
        (b'{"a": 1.152921504606847e18, "b": 0}', 1152921504606846976),  # the double that literal is
        (b'{"a": -9.223372036854775808e18, "b": 0}', -(2**63)),  # -2**63 as a float fits
        (b'{"a": -9223372036854775808, "b": 0}', -(2**63)),
    ],
)
async def test_a_number_with_no_fraction_that_fits_int64_is_that_integer(content: bytes, a: int) -> None:
    seen = Seen()

    response = await post(make_app(summing(seen)), content)

    assert (response.status_code, response.json()) == (200, {"v": a})
    assert seen.requests == [Pair(a, 0)]


@pytest.mark.parametrize("literal", [-(2**63) - 1, -(2**63) - 1024, -(2**63) - 1025, 2**64, -(10**30), 10**30])
def test_an_integer_literal_outside_int64_is_never_read_as_one_inside(literal: int) -> None:
    # orjson alone reads -2**63 - 1 ... -2**63 - 1024 as the float -2**63
    value = parse_json(b'{"a": %d}' % literal)["a"]

    assert not INT64_MIN <= value <= INT64_MAX, value
    assert value == literal or isinstance(value, float)


@pytest.mark.parametrize("text", ["naïve café", "日本語テキスト", "🎉" * 10, "x" * 50_000])
async def test_non_ascii_and_long_strings_pass_through(text: str) -> None:
    class Echo(BaseModel):
        s: str

    async def echo(request: str) -> str:
        return request

    app = new_app(title="test", version="1.0")
    add_route(
        app,
        "/echo",
        echo,
        decode=model_decoder(Echo, lambda body: body.s),
        encode=lambda s: {"s": s},
        request_model=Echo,
        response_model=Echo,
        max_body_bytes=1 << 20,
    )
    async with asgi_client(app) as client:
        response = await client.post("/echo", json={"s": text})

    assert (response.status_code, response.json()) == (200, {"s": text})


async def test_a_body_over_the_limit_is_a_413() -> None:
    seen = Seen()

    response = await post(make_app(summing(seen), max_body_bytes=16), b'{"a": 1, "b": 2, "pad": "xxxxxxxxxx"}')

    assert (response.status_code, response.json()) == (413, {"error": "request body exceeds 16 bytes"})
    assert seen.requests == []


async def test_a_body_exactly_at_the_limit_is_read() -> None:
    body = b'{"a": 1, "b": 2}'

    response = await post(make_app(summing(Seen()), max_body_bytes=len(body)), body)

    assert response.status_code == 200


async def test_a_streamed_body_is_counted_while_it_is_read() -> None:
    chunks_sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(100):
            chunks_sent += 1
            yield b" " * 10

    async with asgi_client(make_app(summing(Seen()), max_body_bytes=25)) as client:
        response = await client.post("/sum", content=chunks())

    assert "content-length" not in response.request.headers
    assert (response.status_code, response.json()) == (413, {"error": "request body exceeds 25 bytes"})
    assert chunks_sent < 100


async def test_a_streamed_body_within_the_limit_is_joined() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b'{"a": ', b"20, ", b'"b": 22}'):
            yield part

    async with asgi_client(make_app(summing(Seen()))) as client:
        response = await client.post("/sum", content=chunks())

    assert (response.status_code, response.json()) == (200, {"v": 42})


async def call_raw(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, int]:
    """Calls the app as a server would; returns the status, the body and how often the body was asked for."""
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b'{"a": 1, "b": 2}', "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sum",
        "raw_path": b"/sum",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, reads


async def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body() -> None:
    status, body, reads = await call_raw(make_app(summing(Seen()), max_body_bytes=10), [(b"content-length", b"5000")])

    assert (status, body, reads) == (413, b'{"error":"request body exceeds 10 bytes"}', 0)


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1e3", b"\xb2"])
async def test_a_bogus_content_length_is_a_400(value: bytes) -> None:
    status, body, reads = await call_raw(make_app(summing(Seen())), [(b"content-length", value)])

    assert (status, body, reads) == (400, b'{"error":"invalid Content-Length header"}', 0)
