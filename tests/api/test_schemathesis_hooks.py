"""The hooks of the schemathesis run can fail: the value check catches wrong answers, and the failure filter drops
a rejected valid request only when the answer is the document's named refusal and the request the one it names."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from api import schemathesis_hooks as hooks

BIG = 2**63 - 1


class Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        return self._body


def case(path: str, body: Any) -> Any:
    return SimpleNamespace(operation=SimpleNamespace(path=path), body=body)


ST202 = SimpleNamespace(code="ST202")


def too_long(length: int) -> str:
    return f"result too long: {length} characters, the maximum is 1024"


@pytest.mark.parametrize(
    ("path", "body", "answer", "dropped"),
    [
        ("/sum", {"a": BIG, "b": 1}, {"error": "integer overflow"}, True),
        ("/sum", {"a": -BIG, "b": -2.0}, {"error": "integer overflow"}, True),
        ("/sum", {"a": 9.2e18, "b": 1.152921504606847e18}, {"error": "integer overflow"}, True),  # past 2**53
        ("/sum", {"a": float(BIG), "b": 1.0}, {"error": "integer overflow"}, False),  # a is 2**63: not an int64
        ("/sum", {"a": BIG, "b": -1}, {"error": "integer overflow"}, False),  # fits: a wrong refusal stays a failure
        ("/sum", {"a": 1, "b": 2}, {"error": "b: wrong type"}, False),
        ("/concat", {"a": "x" * 1000, "b": "y y" * 20}, {"error": too_long(1040)}, True),
        ("/concat", {"a": "x" * 1000, "b": "y y" * 20}, {"error": too_long(1060)}, False),  # spaces are trimmed
        ("/concat", {"a": "x", "b": "y"}, {"error": too_long(2)}, False),
        ("/trim", {"s": "a"}, {"error": "integer overflow"}, False),
    ],
)
def test_only_a_named_refusal_of_the_request_it_names_is_dropped(
    path: str, body: Any, answer: Any, dropped: bool
) -> None:
    kept = hooks.filter_failure(None, ST202, case(path, body), Answer(400, answer))
    assert kept is not dropped


def test_other_failures_are_never_dropped() -> None:
    overflow = case("/sum", {"a": BIG, "b": 1})
    assert hooks.filter_failure(
        None, SimpleNamespace(code="ST101"), overflow, Answer(400, {"error": "integer overflow"})
    )
    assert hooks.filter_failure(None, ST202, overflow, Answer(500, {"error": "integer overflow"}))


@pytest.mark.parametrize(
    ("path", "body", "status", "answer"),
    [
        ("/sum", {"a": 2, "b": 3}, 200, {"v": 6}),
        ("/sum", {"a": BIG, "b": 1}, 200, {"v": 2**63}),
        ("/sum", {"a": BIG, "b": 1}, 400, {"error": "b: wrong type"}),
        ("/concat", {"a": "1 0", "b": " 2"}, 200, {"v": "1 02"}),
        ("/trim", {"s": " a b "}, 200, {"s": "a b"}),
    ],
)
def test_a_wrong_answer_fails_the_value_check(path: str, body: Any, status: int, answer: Any) -> None:
    with pytest.raises(AssertionError):
        hooks.answers_are_right(None, Answer(status, answer), case(path, body))


@pytest.mark.parametrize(
    ("path", "body", "status", "answer"),
    [
        ("/sum", {"a": 2, "b": 3.0}, 200, {"v": 5}),
        ("/sum", {"a": BIG, "b": 1}, 400, {"error": "integer overflow"}),
        ("/sum", {"a": 0, "b": -(2**63) - 1}, 400, {"error": "b: out of int64 range"}),  # not an int64: no sum
        ("/concat", {"a": "1 0", "b": " 2"}, 200, {"v": "102"}),
        ("/trim", {"s": " a b "}, 200, {"s": "ab"}),
        ("/sum", {"a": 1, "b": 2}, 429, {"error": "rate limited"}),
    ],
)
def test_a_right_answer_passes_the_value_check(path: str, body: Any, status: int, answer: Any) -> None:
    assert hooks.answers_are_right(None, Answer(status, answer), case(path, body)) is None
