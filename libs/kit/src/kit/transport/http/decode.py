"""Turning parsed JSON into request values: the decoder and encoder roles, the strict `Int64` type and a decoder
built from a pydantic model whose error messages name the field and say, for a person, what is wrong."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeAlias, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, Strict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from kit.endpoint import INT64_MAX, INT64_MIN, Req, Resp
from kit.errors import InvalidArgument

M = TypeVar("M", bound=BaseModel)

DecodeRequest: TypeAlias = Callable[[Any], Req]
"""Turns the parsed JSON body into a request value; raises `kit.errors.InvalidArgument` when it does not fit."""

EncodeResponse: TypeAlias = Callable[[Resp], Any]
"""Turns a response value into something `orjson` can serialize (dicts, lists, str, int, float, bool, None)."""


def _integral_float(value: Any) -> Any:
    # JSON has one number type: JSON Schema's `integer` (and OpenAPI's) includes -254141.0 and 1.152921504606847e18,
    # so a float with no fractional part is read as the integer it is, when that fits int64 (Python compares a float
    # and an int exactly: 2**63 - 1 written as a float is 2**63 and does not). Integer literals reach us exact
    # (`body.parse_json`), so an out-of-range one is never a float rounded into range here.
    if isinstance(value, float) and value.is_integer() and INT64_MIN <= value <= INT64_MAX:
        return int(value)
    return value


Int64 = Annotated[
    int,
    Strict(),
    Field(ge=INT64_MIN, le=INT64_MAX, json_schema_extra={"format": "int64"}),
    BeforeValidator(_integral_float),  # last, so outermost: it runs before the strict check
]
"""A JSON integer that fits a signed 64-bit integer, for pydantic request models: an integer-valued number such as
`2.0` or `1.5e18` counts (as JSON Schema's `integer` does), as the integer its double-precision value is; bools,
fractions and strings are refused, as are integers outside [-2**63, 2**63-1]; OpenAPI shows it as `integer`, format
`int64`."""

MAX_REPORTED_ERRORS = 5
"""At most this many problems are spelled out in one message; the rest are counted."""

_MESSAGES = {
    "missing": "field required",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "string_type": "must be a string",
    "bool_type": "must be a boolean",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dataclass_type": "must be a JSON object",
    "none_required": "must be null",
    "extra_forbidden": "unknown field",
}


def model_decoder(model: type[M], build: Callable[[M], Req]) -> DecodeRequest[Req]:
    """Makes a decoder that validates the JSON value against `model` and passes the model to `build`, which makes
    the endpoint's request (a frozen dataclass) from it.

    Validation is strict (no `"1"` or `true` for an integer) and runs on already parsed JSON, so fields must be of
    JSON-native types: use `Literal[...]` rather than an `Enum`. Extra fields are ignored unless the model forbids
    them. A failure raises `InvalidArgument` with a message such as `a: field required; b: must be an integer`.
    """
    validate = TypeAdapter(model).validate_python

    def decode(value: Any) -> Req:
        try:
            parsed = validate(value, strict=True)
        except ValidationError as exc:
            raise InvalidArgument(describe_errors(exc.errors(include_url=False))) from None
        return build(parsed)

    return decode


def describe_errors(errors: Sequence[ErrorDetails], *, strip_prefix: tuple[str | int, ...] = ()) -> str:
    """One message for a person out of pydantic's errors: `field: problem` parts joined with `; `.

    `strip_prefix` drops a leading location that means nothing to the sender (FastAPI puts `body` first).
    """
    parts = [_describe(error, strip_prefix) for error in errors[:MAX_REPORTED_ERRORS]]
    if len(errors) > MAX_REPORTED_ERRORS:
        parts.append(f"and {len(errors) - MAX_REPORTED_ERRORS} more")
    return "; ".join(parts) or "invalid request"


def _describe(error: ErrorDetails, strip_prefix: tuple[str | int, ...]) -> str:
    if error["type"] == "json_invalid":
        return "malformed JSON"  # its location is a character offset, not a field
    loc = tuple(error["loc"])
    if strip_prefix and loc[: len(strip_prefix)] == strip_prefix:
        loc = loc[len(strip_prefix) :]
    problem = _problem(error)
    if not loc:
        return f"body {problem}"
    return f"{_location(loc)}: {problem}"


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if (kind == "greater_than_equal" and ctx.get("ge") == INT64_MIN) or (
        kind == "less_than_equal" and ctx.get("le") == INT64_MAX
    ):
        return "out of int64 range"
    value = error.get("input")
    # an integral float outside int64 (`_integral_float` leaves it as it is) is out of range rather than a fraction
    if kind == "int_type" and isinstance(value, float) and value.is_integer() and not INT64_MIN <= value <= INT64_MAX:
        return "out of int64 range"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    message = error["msg"]
    if message.startswith("Input should be "):
        return "must be " + message.removeprefix("Input should be ")
    return message[:1].lower() + message[1:]


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
