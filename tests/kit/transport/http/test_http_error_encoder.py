import logging
import math

import pytest

from kit import errors
from kit.endpoint import request_scope
from kit.transport.http import default_error_encoder


class OddError(errors.KitError):
    code = "something_new"


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (errors.BusinessError("integer overflow"), 400, "integer overflow"),
        (errors.InvalidArgument("a: field required"), 400, "a: field required"),
        (errors.PayloadTooLarge("too big"), 413, "too big"),
        (errors.RateLimited("slow down"), 429, "slow down"),
        (errors.Unavailable("no trim instance at 10.0.0.1:8975"), 503, "service unavailable"),
        (errors.Unavailable("x", dependency="trim"), 503, "trim is unavailable"),
        (
            errors.ConnectionFailed("10.0.0.1:8975 refused"),
            503,
            "service unavailable: an instance could not be reached",
        ),
        (errors.Overloaded(), 503, "service unavailable: overloaded, try again shortly"),
        (errors.DeadlineExceeded("no answer within 0.2 s"), 504, "deadline exceeded"),
        (
            errors.DeadlineExceeded("no answer within 0.2 s", dependency="trim"),
            504,
            "deadline exceeded waiting for trim",
        ),
    ],
)
def test_kit_errors_map_to_their_status_with_their_public_message(
    exc: errors.KitError, status: int, message: str
) -> None:
    got_status, body, headers = default_error_encoder(exc)

    assert (got_status, body) == (status, {"error": message})
    assert headers["kit-error"] == exc.code


async def test_a_failure_on_our_side_names_the_request_id_to_quote() -> None:
    with request_scope(request_id="r-42"):
        assert default_error_encoder(errors.Unavailable("x", dependency="trim"))[1] == {
            "error": "trim is unavailable (request id r-42)"
        }
        assert default_error_encoder(errors.BusinessError("integer overflow"))[1] == {"error": "integer overflow"}


@pytest.mark.parametrize(
    "exc",
    [
        errors.Internal("db password is hunter2"),
        RuntimeError("db password is hunter2"),
        OddError("db password is hunter2"),
    ],
)
def test_anything_else_is_a_generic_500_and_the_details_go_to_the_log(
    exc: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="kit.transport.http.error_encoder"):
        status, body, _ = default_error_encoder(exc)

    assert (status, body) == (500, {"error": "internal error"})
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[1] is exc


def test_known_errors_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        default_error_encoder(errors.BusinessError("integer overflow"))

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
    _, _, headers = default_error_encoder(errors.RateLimited(retry_after=retry_after))

    assert headers == {"Retry-After": header, "kit-error": "rate_limited"}
    assert str(errors.retry_after_seconds(retry_after)) == header


def test_overloaded_sets_retry_after() -> None:
    _, _, headers = default_error_encoder(errors.Overloaded(retry_after=1.5))

    assert headers == {"Retry-After": "2", "kit-error": "overloaded"}


def test_only_rate_limiting_and_overload_add_headers_beside_the_code() -> None:
    assert default_error_encoder(errors.Unavailable("down"))[2] == {"Retry-After": "1", "kit-error": "unavailable"}


def test_a_bug_the_request_line_already_logged_is_not_logged_again(caplog: pytest.LogCaptureFixture) -> None:
    bug = RuntimeError("bug")
    errors.mark_logged(bug)
    with caplog.at_level(logging.DEBUG):
        assert default_error_encoder(bug)[0] == 500

    assert caplog.records == []
