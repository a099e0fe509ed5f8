"""The error table of the gRPC transport, both directions, without a network."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from kit import errors
from kit.transport.grpc import from_rpc_error, to_status, trailing_metadata
from kit.transport.grpc.errors import details
from kit.transport.grpc.server import _peer_host

S = grpc.StatusCode


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.BusinessError("overflow"), S.INVALID_ARGUMENT),
        (errors.InvalidArgument("bad"), S.INVALID_ARGUMENT),
        (errors.PayloadTooLarge("big"), S.RESOURCE_EXHAUSTED),
        (errors.RateLimited(), S.RESOURCE_EXHAUSTED),
        (errors.Unavailable("trim down"), S.UNAVAILABLE),
        (errors.ConnectionFailed("refused"), S.UNAVAILABLE),
        (errors.Overloaded(), S.UNAVAILABLE),
        (errors.DeadlineExceeded("late"), S.DEADLINE_EXCEEDED),
        (TimeoutError(), S.INTERNAL),
        (errors.Internal("bug"), S.INTERNAL),
        (errors.KitError("base"), S.INTERNAL),
        (ValueError("bug"), S.INTERNAL),
        (asyncio.CancelledError(), S.CANCELLED),
    ],
)
def test_to_status(exc: BaseException, status: grpc.StatusCode) -> None:
    assert to_status(exc) is status


@pytest.mark.parametrize(
    ("exc", "metadata"),
    [
        (errors.RateLimited(retry_after=2.5), (("kit-error", "rate_limited"), ("retry-after", "2.5"))),
        (errors.RateLimited(retry_after=-1.0), (("kit-error", "rate_limited"), ("retry-after", "0"))),
        (errors.Unavailable("trim down"), (("kit-error", "unavailable"),)),
        (errors.Overloaded(retry_after=1.0), (("kit-error", "overloaded"), ("retry-after", "1"))),
        (errors.ConnectionFailed("refused"), (("kit-error", "unavailable"),)),
        (errors.PayloadTooLarge("big"), (("kit-error", "too_large"),)),
        (TimeoutError(), (("kit-error", "internal"),)),
        (ValueError("x"), (("kit-error", "internal"),)),
    ],
)
def test_trailing_metadata(exc: BaseException, metadata: tuple[tuple[str, str], ...]) -> None:
    assert trailing_metadata(exc) == metadata


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (errors.InvalidArgument("field s is missing"), "field s is missing"),
        (errors.BusinessError("integer overflow"), "integer overflow"),
        (errors.Internal("password=hunter2"), "internal error"),
        (ValueError("password=hunter2"), "internal error"),
        (TimeoutError("socket"), "internal error"),
        (errors.Unavailable("10.0.0.1:8975 refused", dependency="trim"), "trim is unavailable"),
        (errors.DeadlineExceeded("no answer within 0.2 s"), "deadline exceeded"),
    ],
)
def test_details_never_leak_internal_messages(exc: BaseException, text: str) -> None:
    assert details(exc) == text


def rpc_error(code: grpc.StatusCode, text: str = "text", **metadata: str) -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata(*((key.replace("_", "-"), value) for key, value in metadata.items()))
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, text, None)


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (rpc_error(S.UNAVAILABLE, kit_error="unavailable"), errors.Unavailable),
        (rpc_error(S.UNAVAILABLE), errors.ConnectionFailed),
        (rpc_error(S.UNAVAILABLE, kit_error="overloaded", retry_after="2"), errors.Overloaded),
        (rpc_error(S.DEADLINE_EXCEEDED), errors.DeadlineExceeded),
        (rpc_error(S.RESOURCE_EXHAUSTED), errors.RateLimited),
        (rpc_error(S.RESOURCE_EXHAUSTED, kit_error="rate_limited", retry_after="3"), errors.RateLimited),
        (rpc_error(S.RESOURCE_EXHAUSTED, kit_error="too_large"), errors.PayloadTooLarge),
        (rpc_error(S.RESOURCE_EXHAUSTED, "SERVER: Received message larger than max (5 vs. 4)"), errors.PayloadTooLarge),
        (rpc_error(S.INVALID_ARGUMENT), errors.InvalidArgument),
        (rpc_error(S.INVALID_ARGUMENT, kit_error="business"), errors.BusinessError),
        (rpc_error(S.CANCELLED), errors.ConnectionFailed),
        (rpc_error(S.INTERNAL), errors.Internal),
        (rpc_error(S.UNKNOWN), errors.Internal),
        (rpc_error(S.UNIMPLEMENTED), errors.Internal),
        (rpc_error(S.PERMISSION_DENIED), errors.PermissionDenied),
        (rpc_error(S.UNAUTHENTICATED), errors.Unauthenticated),
    ],
)
def test_from_rpc_error(err: grpc.aio.AioRpcError, expected: type[errors.KitError]) -> None:
    assert type(from_rpc_error(err)) is expected


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("2.5", 2.5), ("0", 0.0), (None, 1.0), ("soon", 1.0), ("-3", 1.0), ("inf", 1.0), ("nan", 1.0)],
)
def test_retry_after_from_metadata(retry_after: str | None, seconds: float) -> None:
    metadata = {} if retry_after is None else {"retry_after": retry_after}
    exc = from_rpc_error(rpc_error(S.RESOURCE_EXHAUSTED, kit_error="rate_limited", **metadata))
    assert isinstance(exc, errors.RateLimited)
    assert exc.retry_after == seconds


def test_from_rpc_error_keeps_the_details() -> None:
    assert from_rpc_error(rpc_error(S.INVALID_ARGUMENT, "field s is missing")).message == "field s is missing"
    assert from_rpc_error(rpc_error(S.UNKNOWN, "")).message == "UNKNOWN: unknown"


@pytest.mark.parametrize(
    ("peer", "host"),
    [
        ("ipv4:127.0.0.1:50123", "127.0.0.1"),
        ("ipv6:[::1]:50123", "::1"),
        ("ipv6:%5B::1%5D:50123", "::1"),
        ("unix:/tmp/grpc.sock", "unix:/tmp/grpc.sock"),
        ("garbage", "garbage"),
    ],
)
def test_peer_host(peer: str, host: str) -> None:
    assert _peer_host(peer) == host


def test_a_refused_stream_is_a_busy_instance_not_an_unreachable_one() -> None:
    # HTTP/2 REFUSED_STREAM: the server never processed the call; retrying is safe and the instance is there.
    text = "Stream removed (RST_STREAM (Received RST_STREAM with error code 7))"
    error = from_rpc_error(rpc_error(S.UNAVAILABLE, text))
    assert type(error) is errors.Unavailable
    assert not isinstance(error, errors.ConnectionFailed)
