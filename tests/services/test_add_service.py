from __future__ import annotations

import asyncio

import pytest

from addsvc.middleware import business_metrics
from addsvc.service import BasicService, IntegerOverflow, ResultTooLong, trim_first
from addsvc.transport.http import ConcatBody, SumBody
from kit.endpoint import INT64_MAX, INT64_MIN
from kit.errors import BusinessError, Unavailable


@pytest.mark.parametrize(
    ("a", "b", "v"),
    [(1, 2, 3), (-5, 5, 0), (INT64_MAX, 0, INT64_MAX), (INT64_MIN, 0, INT64_MIN), (INT64_MAX, INT64_MIN, -1)],
)
async def test_sum(a: int, b: int, v: int) -> None:
    assert await BasicService().sum(a, b) == v


@pytest.mark.parametrize(("a", "b"), [(INT64_MAX, 1), (INT64_MIN, -1), (INT64_MAX, INT64_MAX)])
async def test_sum_overflow_is_a_business_error(a: int, b: int) -> None:
    with pytest.raises(IntegerOverflow) as info:
        await BasicService().sum(a, b)
    assert isinstance(info.value, BusinessError)
    assert info.value.message == "integer overflow"


async def test_concat_limit_counts_characters_not_bytes() -> None:
    svc = BasicService(max_concat_length=4)
    assert await svc.concat("éé", "ßß") == "ééßß"
    with pytest.raises(ResultTooLong) as info:
        await svc.concat("abc", "de")
    assert info.value.message == "result too long: 5 characters, the maximum is 4"


class FakeTrimmer:
    def __init__(self, *, fail_on: str | None = None) -> None:
        self.calls: list[str] = []
        self.cancelled: list[str] = []
        self.fail_on = fail_on

    async def trim_space(self, s: str) -> str:
        self.calls.append(s)
        if s == self.fail_on:
            raise Unavailable("trim down")
        if s == "slow":
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled.append(s)
                raise
        return s.replace(" ", "")


async def test_trim_first_trims_both_arguments_then_concatenates() -> None:
    trimmer = FakeTrimmer()
    svc = trim_first(trimmer)(BasicService())
    assert await svc.concat("1 0 1", "2") == "1012"
    assert sorted(trimmer.calls) == ["1 0 1", "2"]
    assert await svc.sum(1, 2) == 3


async def test_limit_applies_after_trimming() -> None:
    svc = trim_first(FakeTrimmer())(BasicService(max_concat_length=2))
    assert await svc.concat("a   ", "   b") == "ab"


async def test_a_failed_trim_cancels_the_other_and_surfaces_as_is() -> None:
    trimmer = FakeTrimmer(fail_on="bad")
    svc = trim_first(trimmer)(BasicService())
    with pytest.raises(Unavailable, match="trim down") as caught:
        await svc.concat("slow", "bad")
    await asyncio.sleep(0)
    assert trimmer.cancelled == ["slow"]
    assert caught.value.public_message() == "trim is unavailable"


async def test_business_metrics_count_successes_only() -> None:
    ints: list[int] = []
    chars: list[int] = []
    svc = business_metrics(integers_summed=ints.append, characters_concatenated=chars.append)(
        BasicService(max_concat_length=3)
    )
    await svc.sum(1, 2)
    await svc.concat("ab", "c")
    with pytest.raises(IntegerOverflow):
        await svc.sum(INT64_MAX, 1)
    with pytest.raises(ResultTooLong):
        await svc.concat("ab", "cd")
    assert ints == [2]
    assert chars == [3]


def test_each_request_body_of_the_document_has_an_example_that_is_a_valid_request() -> None:
    # Swagger's "Try it out" sends the first example; /concat had none, so it sent "string" twice.
    for model in (SumBody, ConcatBody):
        examples = model.model_json_schema()["examples"]
        assert examples, model.__name__
        model.model_validate(examples[0])
    assert ConcatBody.model_json_schema()["examples"][0] == {"a": "1 0 1", "b": "2"}
