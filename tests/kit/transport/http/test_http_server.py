"""The HTTP server adapter: decoding, encoding, each error class with its status and body, request ids, the
client key, the deadline, and one traceback per bug."""

import logging
from typing import Any

import pytest

from kit import errors
from kit.log import endpoint_logging
from kit.transport.http import add_route, model_decoder, new_app
from support.endpoints import raising
from support.sum_route import Pair, PairBody, Seen, SumReply, asgi_client, make_app, post, summing


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
        (errors.BusinessError("integer overflow"), 400, "integer overflow"),
        (errors.InvalidArgument("a and b must differ"), 400, "a and b must differ"),
        (errors.PayloadTooLarge("result too long"), 413, "result too long"),
        (errors.RateLimited("rate limited", retry_after=0.3), 429, "rate limited"),
        (errors.Unavailable("secret 10.0.0.1:8975", dependency="trim"), 503, "trim is unavailable (request id r-1)"),
        (
            errors.ConnectionFailed("secret refused"),
            503,
            "service unavailable: an instance could not be reached (request id r-1)",
        ),
        (errors.DeadlineExceeded("secret 0.2 s"), 504, "deadline exceeded (request id r-1)"),
        (errors.Internal("bug: secret detail"), 500, "internal error (request id r-1)"),
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
    response = await post(make_app(raising(errors.RateLimited(retry_after=2.2))), b'{"a": 1, "b": 2}')

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

    response = await post(make_app(raising(errors.Unavailable("x")), error_encoder=teapot), b'{"a": 1, "b": 2}')

    assert (response.status_code, response.json()) == (418, {"error": "teapot: Unavailable"})
    assert response.headers["x-why"] == "tea"


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
