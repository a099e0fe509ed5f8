import logging
import math

import pytest

from kit.errors import (
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    KitError,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
)
from kit.transport.http import default_error_encoder, retry_after_seconds


class OddError(KitError):
    code = "something_new"


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (BusinessError("integer overflow"), 400, "integer overflow"),
        (InvalidArgument("a: field required"), 400, "a: field required"),
        (PayloadTooLarge("too big"), 413, "too big"),
        (RateLimited("slow down"), 429, "slow down"),
        (Unavailable("no trim instance"), 503, "no trim instance"),
        (ConnectionFailed("refused"), 503, "refused"),
        (DeadlineExceeded("deadline exceeded"), 504, "deadline exceeded"),
    ],
)
def test_kit_errors_map_to_their_status_with_their_message(exc: Exception, status: int, message: str) -> None:
    got_status, body, _ = default_error_encoder(exc)

    assert (got_status, body) == (status, {"error": message})


@pytest.mark.parametrize(
    "exc",
    [Internal("db password is hunter2"), RuntimeError("db password is hunter2"), OddError("db password is hunter2")],
)
def test_anything_else_is_a_generic_500_and_the_details_go_to_the_log(
    exc: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="kit.transport.http.error_encoder"):
        status, body, headers = default_error_encoder(exc)

    assert (status, body, headers) == (500, {"error": "internal error"}, {})
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[1] is exc


def test_known_errors_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        default_error_encoder(BusinessError("integer overflow"))

    assert caplog.records == []


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [
        (0.2, "1"),
        (1.0, "1"),
        (1.01, "2"),
        (2.5, "3"),
        (30, "30"),
        (0, "1"),
        (-4, "1"),
        (math.inf, "1"),
        (math.nan, "1"),
    ],
)
def test_rate_limited_sets_retry_after_in_whole_seconds_rounded_up(retry_after: float, header: str) -> None:
    _, _, headers = default_error_encoder(RateLimited(retry_after=retry_after))

    assert headers == {"Retry-After": header}
    assert str(retry_after_seconds(retry_after)) == header


def test_only_rate_limiting_adds_headers() -> None:
    assert default_error_encoder(Unavailable("down"))[2] == {}
