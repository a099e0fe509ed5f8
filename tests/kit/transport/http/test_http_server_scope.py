"""The request scope an HTTP request runs in: its request id (made, kept, replaced when unsafe), its client key
(the peer, whatever the headers claim) and its deadline (the route's timeout; a passed one answers 504)."""

import asyncio

import pytest

from support.endpoints import raising
from support.sum_route import Pair, Seen, make_app, post, summing


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
