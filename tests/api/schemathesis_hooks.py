"""Schemathesis hooks of tests/api/test_api_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

- `filter_failure` drops one kind of failure only: "schema-valid request rejected" (ST202) answered by a business
  refusal the document names with the route's 400 (`kit.transport.http.openapi.Refusals`), and only when the
  request really is the one it names: a + b really leaves int64, trim(a) + trim(b) really is longer than the maximum
  the answer states. JSON Schema cannot constrain the sum of two fields, so the document says it with the 400
  response; any other rejection of a schema-valid request still fails the run.
- `answers_are_right` checks the values, which the document cannot: 200 from /sum is a + b, from /concat
  trim(a) followed by trim(b), from /trim s without its spaces; /sum with a + b outside int64 is 400
  `{"error": "integer overflow"}` exactly.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

from kit.endpoint import INT64_MAX, INT64_MIN

TOO_LONG = re.compile(r"result too long: (\d+) characters, the maximum is (\d+)")


def _exact(value: Any) -> int | None:
    """The integer add reads from a JSON number: an int, or the integer an integral float is, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # add takes it when it fits int64, as `_pair` checks
    return None


def _pair(body: Any, kind: type) -> tuple[Any, Any] | None:
    if not isinstance(body, dict) or "a" not in body or "b" not in body:
        return None
    if kind is int:  # two int64s, as the document's schema has them
        a, b = _exact(body["a"]), _exact(body["b"])
        in_range = a is not None and b is not None and min(a, b) >= INT64_MIN and max(a, b) <= INT64_MAX
        return (a, b) if in_range else None
    a, b = body["a"], body["b"]
    return (a, b) if isinstance(a, str) and isinstance(b, str) else None


def _trimmed(s: str) -> str:
    return s.replace(" ", "")


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _is_named_refusal(path: str, body: Any, answer: Any) -> bool:
    """Whether `answer` (a 400's body) is the refusal the document names for `path`, and `body` the request it names."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if path == "/sum" and error == "integer overflow":
        ints = _pair(body, int)
        return ints is not None and not INT64_MIN <= ints[0] + ints[1] <= INT64_MAX
    too_long = TOO_LONG.fullmatch(error) if path == "/concat" and isinstance(error, str) else None
    strings = _pair(body, str)
    if too_long is None or strings is None:
        return False
    length = len(_trimmed(strings[0])) + len(_trimmed(strings[1]))
    return length == int(too_long.group(1)) > int(too_long.group(2))


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False (drop it) only for a rejected valid request that got the document's named refusal, rightly."""
    if getattr(failure, "code", None) != "ST202" or response.status_code != 400:
        return True
    return not _is_named_refusal(case.operation.path, case.body, _json(response))


@schemathesis.check
def answers_are_right(ctx: Any, response: Any, case: Any) -> bool | None:
    """The values of the answers: what the service computes, not only the shapes the document promises."""
    path, body, answer = case.operation.path, case.body, _json(response)
    if path == "/sum" and (ints := _pair(body, int)) is not None:
        total = ints[0] + ints[1]
        if INT64_MIN <= total <= INT64_MAX:
            assert response.status_code != 200 or answer == {"v": total}, f"/sum of {ints} answered {answer}"
        elif response.status_code in (200, 400):  # 413, 429, 5xx say nothing about the sum
            assert (response.status_code, answer) == (400, {"error": "integer overflow"}), f"{ints}: {answer}"
    elif path == "/concat" and response.status_code == 200 and (strings := _pair(body, str)) is not None:
        assert answer == {"v": _trimmed(strings[0]) + _trimmed(strings[1])}, f"/concat of {strings}: {answer}"
    elif path == "/trim" and response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("s"), str):
        assert answer == {"s": _trimmed(body["s"])}, f"/trim of {body!r}: {answer}"
    return None
