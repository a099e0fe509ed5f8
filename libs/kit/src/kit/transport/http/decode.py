"""Turning parsed JSON into request values: the decoder and encoder roles, the strict `Int64` type and a decoder
built from a pydantic model whose error messages name the field and say, for a person, what is wrong (the wording is
`kit.transport.http.describe`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeAlias, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, Strict, TypeAdapter, ValidationError

from kit.endpoint import INT64_MAX, INT64_MIN, Req, Resp
from kit.errors import InvalidArgument
from kit.transport.http.describe import describe_errors

M = TypeVar("M", bound=BaseModel)

DecodeRequest: TypeAlias = Callable[[Any], Req]
"""Turns the parsed JSON body into a request value; raises `kit.errors.InvalidArgument` when it does not fit."""

EncodeResponse: TypeAlias = Callable[[Resp], Any]
"""Turns a response value into something `orjson` can serialize (dicts, lists, str, int, float, bool, None)."""


def _integral_float(value: Any) -> Any:
    # JSON has one number type: JSON Schema's `integer` (and OpenAPI's) includes -254141.0 and 1.152921504606847e18,
    # so a float with no fractional part is read as the integer it is, when that fits int64 (Python compares a float
    # and an int exactly: 2**63 - 1 written as a float is 2**63 and does not). Integer literals reach us exact
    # (`json_body.parse_json`), so an out-of-range one is never a float rounded into range here.
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
