import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit import endpoint as kep
from kit.errors import (
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
)
from kit.log import endpoint_logging
from kit.transport.http import add_route, model_decoder, new_app
from support.sum_route import Pair, PairBody, SumReply, asgi_client, make_app


@dataclass
class Seen:
    """What the endpoint saw of its request scope, call by call."""

    requests: list[Pair] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)
    clients: list[str | None] = field(default_factory=list)
    transports: list[str] = field(default_factory=list)
    remaining: list[float | None] = field(default_factory=list)


def summing(seen: Seen) -> kep.Endpoint[Pair, int]:
    async def add(request: Pair) -> int:
        seen.requests.append(request)
        seen.request_ids.append(kep.request_id())
        seen.clients.append(kep.client())
        seen.transports.append(kep.transport())
        seen.remaining.append(kep.remaining())
        return request.a + request.b

    return add


def raising(exc: Exception) -> kep.Endpoint[Pair, int]:
    async def fail(request: Pair) -> int:
        raise exc

    return fail


async def post(app: FastAPI, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async with asgi_client(app, raise_app_exceptions=False) as client:
        return await client.post("/sum", content=content, headers=headers)


async def test_a_good_request_is_answered_with_the_encoded_response() -> None:
    seen = Seen()

    response = await post(make_app(summing(seen)), b'{"a": 40, "b": 2}')

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"v": 42}
    assert seen.requests == [Pair(40, 2)]
    assert seen.transports == ["http"]


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (BusinessError("integer overflow"), 400, "integer overflow"),
        (InvalidArgument("a and b must differ"), 400, "a and b must differ"),
        (PayloadTooLarge("result too long"), 413, "result too long"),
        (RateLimited("rate limited", retry_after=0.3), 429, "rate limited"),
        (Unavailable("secret 10.0.0.1:8975", dependency="trim"), 503, "trim is unavailable (request id r-1)"),
        (
            ConnectionFailed("secret refused"),
            503,
            "service unavailable: an instance could not be reached (request id r-1)",
        ),
        (DeadlineExceeded("secret 0.2 s"), 504, "deadline exceeded (request id r-1)"),
        (Internal("bug: secret detail"), 500, "internal error (request id r-1)"),
        (RuntimeError("secret detail"), 500, "internal error (request id r-1)"),
        (KeyError("secret detail"), 500, "internal error (request id r-1)"),
    ],
)
async def test_every_error_class_has_its_status_and_an_error_body(exc: Exception, status: int, message: str) -> None:
    response = await post(make_app(raising(exc)), b'{"a": 1, "b": 2}', {"x-request-id": "r-1"})

    assert (response.status_code, response.json()) == (status, {"error": message})
    assert "secret" not in response.text
    assert response.headers["content-type"] == "application/json"


async def test_rate_limited_answers_carry_retry_after() -> None:
    response = await post(make_app(raising(RateLimited(retry_after=2.2))), b'{"a": 1, "b": 2}')

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"


async def test_an_answer_that_cannot_be_serialized_is_a_500() -> None:
    app = new_app(title="test", version="1.0")

    async def give_object(request: Pair) -> object:
        return object()

    add_route(
        app,
        "/sum",
        give_object,
        decode=model_decoder(PairBody, lambda body: Pair(a=body.a, b=body.b)),
        encode=lambda v: {"v": v},
        request_model=PairBody,
        response_model=SumReply,
    )

    response = await post(app, b'{"a": 1, "b": 2}', {"x-request-id": "r-2"})

    assert (response.status_code, response.json()) == (500, {"error": "internal error (request id r-2)"})


async def test_a_custom_error_encoder_decides_the_answer() -> None:
    def teapot(exc: BaseException) -> tuple[int, dict[str, str], dict[str, str]]:
        return 418, {"error": f"teapot: {type(exc).__name__}"}, {"x-why": "tea"}

    response = await post(make_app(raising(Unavailable("x")), error_encoder=teapot), b'{"a": 1, "b": 2}')

    assert (response.status_code, response.json()) == (418, {"error": "teapot: Unavailable"})
    assert response.headers["x-why"] == "tea"


async def test_a_request_id_is_made_when_absent_and_echoed() -> None:
    seen = Seen()

    response = await post(make_app(summing(seen)), b'{"a": 1, "b": 2}')

    rid = response.headers["x-request-id"]
    assert len(rid) == 32
    assert seen.request_ids == [rid]


async def test_a_given_request_id_reaches_the_endpoint_and_is_echoed() -> None:
    seen = Seen()

    response = await post(make_app(summing(seen)), b'{"a": 1, "b": 2}', {"x-request-id": "req-123"})

    assert response.headers["x-request-id"] == "req-123"
    assert seen.request_ids == ["req-123"]


async def test_an_unsafe_request_id_is_replaced() -> None:
    seen = Seen()

    response = await post(make_app(summing(seen)), b'{"a": 1, "b": 2}', {"x-request-id": "x" * 500})

    assert response.headers["x-request-id"] != "x" * 500
    assert seen.request_ids == [response.headers["x-request-id"]]


async def test_error_answers_echo_the_request_id_too() -> None:
    response = await post(make_app(summing(Seen())), b"{", {"x-request-id": "req-err"})

    assert response.status_code == 400
    assert response.headers["x-request-id"] == "req-err"


@pytest.mark.parametrize(
    ("headers", "client"),
    [({}, "127.0.0.1"), ({"x-api-key": "team-blue"}, "127.0.0.1"), ({"x-forwarded-for": "10.9.9.9"}, "127.0.0.1")],
)
async def test_the_client_key_is_the_peer_host_whatever_the_headers_claim(headers: dict[str, str], client: str) -> None:
    seen = Seen()

    await post(make_app(summing(seen)), b'{"a": 1, "b": 2}', headers)

    assert seen.clients == [client]


async def test_without_a_timeout_the_endpoint_has_no_deadline() -> None:
    seen = Seen()

    await post(make_app(summing(seen)), b'{"a": 1, "b": 2}')

    assert seen.remaining == [None]


async def test_the_timeout_becomes_the_endpoints_deadline() -> None:
    seen = Seen()

    await post(make_app(summing(seen), timeout=30.0), b'{"a": 1, "b": 2}')

    [left] = seen.remaining
    assert left is not None
    assert 0 < left <= 30.0


async def test_a_passed_deadline_cancels_the_endpoint_and_answers_504() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def hang(request: Pair) -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    response = await post(make_app(hang, timeout=0.0), b'{"a": 1, "b": 2}', {"x-request-id": "slow"})

    assert (response.status_code, response.json()) == (504, {"error": "deadline exceeded (request id slow)"})
    assert response.headers["x-request-id"] == "slow"
    assert started.is_set()
    assert cancelled.is_set()


async def test_a_timeout_error_of_the_endpoint_itself_is_not_a_deadline() -> None:
    response = await post(
        make_app(raising(TimeoutError("socket")), timeout=30.0), b'{"a": 1, "b": 2}', {"x-request-id": "r"}
    )

    assert (response.status_code, response.json()) == (500, {"error": "internal error (request id r)"})


async def test_a_get_route_with_no_body_decodes_none() -> None:
    decoded: list[Any] = []

    async def status(request: None) -> str:
        return "ok"

    def decode(value: Any) -> None:
        decoded.append(value)

    app = new_app(title="test", version="1.0")
    add_route(
        app,
        "/status",
        status,
        decode=decode,
        encode=lambda s: {"s": s},
        request_model=PairBody,
        response_model=SumReply,
        method="GET",
    )
    async with asgi_client(app, raise_app_exceptions=False) as client:
        response = await client.get("/status")

    assert (response.status_code, response.json(), decoded) == (200, {"s": "ok"}, [None])


async def test_a_bug_is_logged_once_with_one_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = endpoint_logging(logging.getLogger("test.requests"), service="add", method="sum")
    app = make_app(logged(raising(RuntimeError("a bug"))))

    with caplog.at_level(logging.INFO):
        response = await post(app, b'{"a": 1, "b": 2}')

    assert response.status_code == 500
    [traced] = [record for record in caplog.records if record.exc_info is not None]
    assert traced.name == "test.requests"
