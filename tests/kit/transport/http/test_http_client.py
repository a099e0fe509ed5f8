import asyncio
import socket
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from kit import endpoint as kep
from kit import errors
from kit.transport.http import client_endpoint
from support.sum_route import Pair, asgi_client, make_app


def sum_client(client: httpx.AsyncClient, **options: Any) -> kep.Endpoint[Pair, int]:
    return client_endpoint(
        client,
        "/sum",
        encode=lambda r: {"a": r.a, "b": r.b},
        decode=lambda body: int(body["v"]),
        **options,
    )


Handler = Callable[[httpx.Request], httpx.Response]


def mocked(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://instance:8080")


class Recorder:
    """A fake server: records each request and answers with a fixed response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response


async def test_the_request_is_sent_as_json_and_the_answer_decoded() -> None:
    server = Recorder(httpx.Response(200, json={"v": 42}))
    async with mocked(server) as client:
        result = await sum_client(client)(Pair(40, 2))

    assert result == 42
    [sent] = server.requests
    assert (sent.method, sent.url.path) == ("POST", "/sum")
    assert sent.headers["content-type"] == "application/json"
    assert orjson.loads(sent.content) == {"a": 40, "b": 2}


async def test_the_method_can_be_chosen() -> None:
    server = Recorder(httpx.Response(200, json={"v": 1}))
    async with mocked(server) as client:
        await sum_client(client, method="put")(Pair(0, 1))

    assert server.requests[0].method == "PUT"


async def test_the_current_request_id_is_propagated() -> None:
    server = Recorder(httpx.Response(200, json={"v": 0}))
    async with mocked(server) as client:
        with kep.request_scope(request_id="req-77"):
            await sum_client(client)(Pair(0, 0))
        await sum_client(client)(Pair(0, 0))

    assert server.requests[0].headers["x-request-id"] == "req-77"
    assert "x-request-id" not in server.requests[1].headers


def read_timeout(request: httpx.Request) -> float | None:
    timeout: dict[str, float | None] = request.extensions["timeout"]
    assert len(set(timeout.values())) == 1
    return timeout["read"]


async def test_the_sooner_of_timeout_and_deadline_bounds_the_call() -> None:
    server = Recorder(httpx.Response(200, json={"v": 0}))
    async with mocked(server) as client:
        await sum_client(client)(Pair(0, 0))
        await sum_client(client, timeout=0.5)(Pair(0, 0))
        with kep.request_scope(timeout=2.0):
            await sum_client(client, timeout=10.0)(Pair(0, 0))
            await sum_client(client)(Pair(0, 0))
            await sum_client(client, timeout=0.25)(Pair(0, 0))

    client_default, own, deadline_first, deadline_only, own_first = (read_timeout(r) for r in server.requests)
    assert client_default == 5.0
    assert own == 0.5
    assert deadline_first is not None
    assert 1.0 < deadline_first <= 2.0
    assert deadline_only is not None
    assert 1.0 < deadline_only <= 2.0
    assert own_first == 0.25


async def test_a_passed_deadline_fails_without_sending() -> None:
    server = Recorder(httpx.Response(200, json={"v": 0}))
    async with mocked(server) as client:
        with kep.request_scope(timeout=0.0), pytest.raises(errors.DeadlineExceeded):
            await sum_client(client)(Pair(0, 0))

    assert server.requests == []


async def test_the_whole_call_is_bounded_even_when_the_transport_ignores_timeouts() -> None:
    cancelled = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(hang), base_url="http://x") as client:
        with pytest.raises(errors.DeadlineExceeded):
            await sum_client(client, timeout=0.001)(Pair(0, 0))

    assert cancelled.is_set()


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "message"),
    [
        (400, {"error": "integer overflow"}, {"kit-error": "business"}, errors.BusinessError, "integer overflow"),
        (
            400,
            {"error": "a: field required"},
            {"kit-error": "invalid_argument"},
            errors.InvalidArgument,
            "a: field required",
        ),
        (400, {"error": "a: field required"}, {}, errors.InvalidArgument, "a: field required"),
        (408, {"error": "slow"}, {}, errors.DeadlineExceeded, "slow"),
        (413, {"error": "request body exceeds 10 bytes"}, {}, errors.PayloadTooLarge, "request body exceeds 10 bytes"),
        (429, {"error": "rate limited"}, {"retry-after": "3"}, errors.RateLimited, "rate limited"),
        (503, {"error": "no trim instance"}, {}, errors.Unavailable, "no trim instance"),
        (504, {"error": "deadline exceeded"}, {}, errors.DeadlineExceeded, "deadline exceeded"),
        (500, {"error": "internal error"}, {}, errors.Internal, "HTTP 500 from POST /sum: internal error"),
        (502, b"<html>bad gateway</html>", {}, errors.Internal, "HTTP 502 from POST /sum: Bad Gateway"),
        (404, {"error": "Not Found"}, {}, errors.Internal, "HTTP 404 from POST /sum: Not Found"),
        (400, b"not json", {}, errors.InvalidArgument, "Bad Request"),
        (400, {"error": 5}, {}, errors.InvalidArgument, "Bad Request"),
    ],
)
async def test_error_answers_map_back_to_kit_errors(
    status: int, body: Any, headers: dict[str, str], error: type[errors.KitError], message: str
) -> None:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    server = Recorder(httpx.Response(status, content=content, headers=headers))
    async with mocked(server) as client:
        with pytest.raises(errors.KitError) as caught:
            await sum_client(client)(Pair(1, 2))

    assert type(caught.value) is error
    assert caught.value.message == message


@pytest.mark.parametrize(("header", "retry_after"), [("3", 3.0), ("0.5", 0.5), (None, 1.0), ("soon", 1.0), ("-2", 1.0)])
async def test_retry_after_is_read_from_the_header(header: str | None, retry_after: float) -> None:
    headers = {"retry-after": header} if header is not None else {}
    server = Recorder(httpx.Response(429, json={"error": "rate limited"}, headers=headers))
    async with mocked(server) as client:
        with pytest.raises(errors.RateLimited) as caught:
            await sum_client(client)(Pair(1, 2))

    assert caught.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ConnectError("refused"), errors.ConnectionFailed),
        (httpx.ReadError("reset"), errors.ConnectionFailed),
        (httpx.RemoteProtocolError("server disconnected"), errors.ConnectionFailed),
        (httpx.ConnectTimeout("slow connect"), errors.DeadlineExceeded),
        (httpx.ReadTimeout("slow read"), errors.DeadlineExceeded),
        (httpx.PoolTimeout("pool"), errors.DeadlineExceeded),
        (httpx.UnsupportedProtocol("gopher"), errors.Unavailable),
    ],
)
async def test_transport_failures_map_to_kit_errors(raised: Exception, error: type[errors.KitError]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise raised

    async with mocked(fail) as client:
        with pytest.raises(errors.KitError) as caught:
            await sum_client(client)(Pair(1, 2))

    assert type(caught.value) is error
    assert caught.value.__cause__ is raised


@pytest.mark.parametrize("content", [b"not json", b'{"w": 1}', b'{"v": "x"}'])
async def test_a_malformed_success_answer_is_internal(content: bytes) -> None:
    async with mocked(Recorder(httpx.Response(200, content=content))) as client:
        with pytest.raises(errors.Internal, match="malformed answer"):
            await sum_client(client)(Pair(1, 2))


async def test_a_refused_connection_is_connection_failed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the port was free a moment ago and nothing listens on it now

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(errors.ConnectionFailed):
            await sum_client(client, timeout=5.0)(Pair(1, 2))


async def test_client_and_server_round_trip_with_errors_and_request_ids() -> None:
    seen_ids: list[str | None] = []

    async def add(request: Pair) -> int:
        seen_ids.append(kep.request_id())
        if request.a == 13:
            raise errors.RateLimited(retry_after=2.5)
        if request.a + request.b > 2**63 - 1:
            raise errors.BusinessError("integer overflow")
        return request.a + request.b

    async with asgi_client(make_app(add), base_url="http://add") as client:
        call = sum_client(client)
        with kep.request_scope(request_id="trace-me"):
            assert await call(Pair(40, 2)) == 42
        with pytest.raises(errors.BusinessError, match=r"^integer overflow$"):
            await call(Pair(2**63 - 1, 1))
        with pytest.raises(errors.RateLimited) as limited:
            await call(Pair(13, 0))
        with pytest.raises(errors.InvalidArgument, match=r"^a: out of int64 range$"):
            await call(Pair(2**63, 0))

    assert limited.value.retry_after == 3.0
    assert seen_ids[0] == "trace-me"
