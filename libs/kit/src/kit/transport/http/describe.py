"""Pydantic's validation errors in words for a person: each names the field and says what is wrong with it
(`a: field required; b: must be an integer`), an int64 bound as `out of int64 range`."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_core import ErrorDetails

from kit.endpoint import INT64_MAX, INT64_MIN

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
    # an integral float outside int64 (Int64 leaves it as it is) is out of range rather than a fraction
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
