"""Real calls through a server made by `unary` and a client made by `client_endpoint`: replies and errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import grpc
import pytest

from kit import errors
from kit.endpoint import Endpoint
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

Connect = Callable[[int], grpc.aio.Channel]
StartTrim = Callable[..., Awaitable[int]]
TrimClient = Callable[..., Endpoint[str, str]]
RawTrim = Callable[[grpc.aio.Channel], grpc.aio.UnaryUnaryMultiCallable[TrimRequest, TrimResponse]]
S = grpc.StatusCode


async def trim_spaces(s: str) -> str:
    return s.replace(" ", "")


def failing(exc: Exception) -> Endpoint[str, str]:
    async def endpoint(s: str) -> str:
        raise exc

    return endpoint


async def test_ok_round_trip(start_trim: StartTrim, connect: Connect, trim_client: TrimClient) -> None:
    client = trim_client(connect(await start_trim(trim_spaces)))

    assert await client("1 0 1") == "101"


ROUND_TRIP = [
    (errors.BusinessError("result too long"), S.INVALID_ARGUMENT, errors.BusinessError),
    (errors.InvalidArgument("s is odd"), S.INVALID_ARGUMENT, errors.InvalidArgument),
    (errors.PayloadTooLarge("too big"), S.RESOURCE_EXHAUSTED, errors.PayloadTooLarge),
    (errors.RateLimited("slow down", retry_after=2.5), S.RESOURCE_EXHAUSTED, errors.RateLimited),
    (errors.Unavailable("no trim instance"), S.UNAVAILABLE, errors.Unavailable),
    # The server's own dependency refused: the server answered, so the caller sees Unavailable, not its own failure.
    (errors.ConnectionFailed("trim refused"), S.UNAVAILABLE, errors.Unavailable),
    (errors.DeadlineExceeded("too late"), S.DEADLINE_EXCEEDED, errors.DeadlineExceeded),
    # A TimeoutError of the endpoint's own (a socket's, say) is no deadline of this request: a bug.
    (TimeoutError(), S.INTERNAL, errors.Internal),
    (errors.Internal("secret detail"), S.INTERNAL, errors.Internal),
    (ValueError("secret detail"), S.INTERNAL, errors.Internal),
]


@pytest.mark.parametrize(("raised", "status", "seen"), ROUND_TRIP)
async def test_error_round_trip(
    start_trim: StartTrim,
    connect: Connect,
    trim_client: TrimClient,
    raw_trim: RawTrim,
    raised: Exception,
    status: grpc.StatusCode,
    seen: type[errors.KitError],
) -> None:
    channel = connect(await start_trim(failing(raised)))

    with pytest.raises(grpc.aio.AioRpcError) as wire:
        await raw_trim(channel)(TrimRequest(s="x"))
    with pytest.raises(errors.KitError) as client_side:
        await trim_client(channel)("x")

    assert wire.value.code() is status
    assert type(client_side.value) is seen
    if isinstance(raised, errors.KitError):
        # The caller's own mistakes come back in full; a failure on the server's side only in the caller's terms.
        assert raised.public_message() in client_side.value.message
    assert "secret" not in (wire.value.details() or "")


async def test_rate_limit_sends_retry_after(start_trim: StartTrim, connect: Connect, trim_client: TrimClient) -> None:
    client = trim_client(connect(await start_trim(failing(errors.RateLimited(retry_after=2.5)))))

    with pytest.raises(errors.RateLimited) as caught:
        await client("x")

    assert caught.value.retry_after == 2.5


async def test_unexpected_error_is_logged_not_sent(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = trim_client(connect(await start_trim(failing(ValueError("password=hunter2")))))

    with caplog.at_level(logging.ERROR, logger="kit.transport.grpc.server"), pytest.raises(errors.Internal) as caught:
        await client("x")

    assert "hunter2" not in caught.value.message
    assert any(record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records)


async def test_expected_errors_are_not_logged(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = trim_client(connect(await start_trim(failing(errors.InvalidArgument("s is odd")))))

    with caplog.at_level(logging.DEBUG, logger="kit.transport.grpc.server"), pytest.raises(errors.InvalidArgument):
        await client("x")

    assert caplog.records == []


async def test_decode_error_is_invalid_argument(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient, raw_trim: RawTrim
) -> None:
    calls: list[str] = []

    async def recording(s: str) -> str:
        calls.append(s)
        return s

    channel = connect(await start_trim(recording))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw_trim(channel)(TrimRequest(s=""))
    with pytest.raises(errors.InvalidArgument, match="s is required"):
        await trim_client(channel)("")

    assert caught.value.code() is S.INVALID_ARGUMENT
    assert calls == []


async def test_malformed_message_is_invalid_argument(start_trim: StartTrim, connect: Connect) -> None:
    channel = connect(await start_trim(trim_spaces))
    raw_bytes = channel.unary_unary("/pb.Trim/TrimSpace", None, None)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw_bytes(b"\xff\xff\xff")

    assert caught.value.code() is S.INVALID_ARGUMENT


async def test_oversize_message_is_resource_exhausted(
    start_trim: StartTrim, connect: Connect, trim_client: TrimClient, raw_trim: RawTrim
) -> None:
    channel = connect(await start_trim(trim_spaces))
    huge = "x" * (2 * 1024 * 1024)  # under grpc's own 4 MiB default, over the kit's 1 MiB

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw_trim(channel)(TrimRequest(s=huge))
    with pytest.raises(errors.PayloadTooLarge):
        await trim_client(channel)(huge)

    assert caught.value.code() is S.RESOURCE_EXHAUSTED
    assert await trim_client(channel)("still serving") == "stillserving"


async def test_message_limit_can_be_changed(start_trim: StartTrim, connect: Connect, trim_client: TrimClient) -> None:
    client = trim_client(connect(await start_trim(trim_spaces, options=[("grpc.max_receive_message_length", 64)])))

    with pytest.raises(errors.PayloadTooLarge):
        await client("x" * 100)
    assert await client("a b") == "ab"
