from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, StrictStr

from kit.errors import InvalidArgument
from kit.transport.http import Int64, describe_errors, model_decoder
from support.sum_route import Pair, PairBody


class TextBody(BaseModel):
    s: StrictStr


class Inner(BaseModel):
    x: Int64


class NestedBody(BaseModel):
    inner: Inner
    items: list[Int64] = []
    kind: Literal["x", "y"] = "x"


class StrictExtraBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: Int64


def decode_pair(value: Any) -> Pair:
    return model_decoder(PairBody, lambda body: Pair(a=body.a, b=body.b))(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1, "b": 2}, Pair(1, 2)),
        ({"a": -(2**63), "b": 2**63 - 1}, Pair(-(2**63), 2**63 - 1)),
        ({"a": 0, "b": 0, "extra": "ignored"}, Pair(0, 0)),
        # JSON Schema's `integer` (the OpenAPI document's) includes integer-valued numbers
        ({"a": -254141.0, "b": 2.0}, Pair(-254141, 2)),
        # ... at and past 2**53 too, as the integer the float is, wherever that fits int64
        ({"a": float(2**53), "b": 1.152921504606847e18}, Pair(2**53, 1152921504606846976)),
        ({"a": float(-(2**63)), "b": float(2**63 - 1024)}, Pair(-(2**63), 2**63 - 1024)),
    ],
)
def test_valid_bodies_are_built_into_requests(value: Any, expected: Pair) -> None:
    assert decode_pair(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"b": 2}, "a: field required"),
        ({}, "a: field required; b: field required"),
        ({"a": "1", "b": 2}, "a: must be an integer"),
        ({"a": True, "b": 2}, "a: must be an integer"),
        ({"a": 1, "b": 2.5}, "b: must be an integer"),
        ({"a": None, "b": 2}, "a: must be an integer"),
        ({"a": 2**63, "b": 2}, "a: out of int64 range"),
        ({"a": 1, "b": -(2**63) - 1}, "b: out of int64 range"),
        ({"a": 2**64 - 1, "b": 0}, "a: out of int64 range"),
        # integral floats outside int64: 2**63 - 1 as a float rounds to 2**63
        ({"a": float(2**63 - 1), "b": 0}, "a: out of int64 range"),
        ({"a": 1, "b": -9.223372036854777856e18}, "b: out of int64 range"),
        ({"a": 1e20, "b": 0}, "a: out of int64 range"),
        ({"a": -1e20, "b": 0}, "a: out of int64 range"),
        ([1, 2], "body must be a JSON object"),
        (None, "body must be a JSON object"),
        ("text", "body must be a JSON object"),
    ],
)
def test_invalid_bodies_raise_invalid_argument_naming_the_field(value: Any, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        decode_pair(value)

    assert caught.value.message == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"inner": {"x": True}}, "inner.x: must be an integer"),
        ({"inner": {"x": 1}, "items": [1, "2"]}, "items[1]: must be an integer"),
        ({"inner": []}, "inner: must be a JSON object"),
        ({"inner": {"x": 1}, "items": {}}, "items: must be an array"),
        ({"inner": {"x": 1}, "kind": "z"}, "kind: must be 'x' or 'y'"),
    ],
)
def test_nested_locations_are_spelled_out(value: Any, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        model_decoder(NestedBody, lambda body: body)(value)

    assert caught.value.message == message


def test_a_nested_body_that_fits_validates_from_plain_json_values() -> None:
    body = model_decoder(NestedBody, lambda body: body)({"inner": {"x": 3}, "items": [1, 2], "kind": "y"})

    assert body == NestedBody(inner=Inner(x=3), items=[1, 2], kind="y")


@pytest.mark.parametrize("text", ["héllo wörld", "日本語", "emoji 🎉", "x" * 100_000, ""])
def test_any_unicode_string_of_any_length_is_accepted(text: str) -> None:
    assert model_decoder(TextBody, lambda body: body.s)({"s": text}) == text


def test_a_number_for_a_string_is_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"^s: must be a string$"):
        model_decoder(TextBody, lambda body: body.s)({"s": 5})


def test_a_model_that_forbids_extra_fields_says_which() -> None:
    with pytest.raises(InvalidArgument, match=r"^b: unknown field$"):
        model_decoder(StrictExtraBody, lambda body: body)({"a": 1, "b": 2})


def test_many_problems_are_capped_and_counted() -> None:
    with pytest.raises(InvalidArgument) as caught:
        model_decoder(NestedBody, lambda body: body)({"inner": {"x": 1}, "items": ["a"] * 8})

    assert caught.value.message.count("must be an integer") == 5
    assert caught.value.message.endswith("; and 3 more")


def test_the_message_never_echoes_the_input() -> None:
    with pytest.raises(InvalidArgument) as caught:
        decode_pair({"a": "secret-value", "b": 1})

    assert "secret-value" not in caught.value.message


def test_build_errors_pass_through_untouched() -> None:
    def refuse(body: PairBody) -> Pair:
        raise InvalidArgument("a and b must differ")

    with pytest.raises(InvalidArgument, match="a and b must differ"):
        model_decoder(PairBody, refuse)({"a": 1, "b": 1})


def test_describe_errors_drops_a_meaningless_prefix_and_falls_back_to_pydantic_wording() -> None:
    errors: list[Any] = [
        {"type": "missing", "loc": ("body", "a"), "msg": "Field required", "input": {}},
        {"type": "greater_than", "loc": ("body", "n"), "msg": "Input should be greater than 0", "input": 0},
        {"type": "value_error", "loc": ("body",), "msg": "Value error, nope", "input": 0},
    ]

    assert describe_errors(errors, strip_prefix=("body",)) == (
        "a: field required; n: must be greater than 0; body value error, nope"
    )


def test_int64_is_documented_as_a_bounded_int64_integer() -> None:
    schema = PairBody.model_json_schema()["properties"]["a"]

    assert schema["type"] == "integer"
    assert schema["format"] == "int64"
    assert (schema["minimum"], schema["maximum"]) == (-(2**63), 2**63 - 1)
