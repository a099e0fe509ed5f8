"""Parsing a request body as JSON, each failure as `kit.errors.InvalidArgument` saying why, and never an
out-of-range integer read as an in-range one."""

from __future__ import annotations

import json
from typing import Any

import orjson

from kit.errors import InvalidArgument

_ROUNDED_INTO_INT64 = b"-922337203685477"
"""orjson reads an integer literal outside [-2**63, 2**64) as a rounded float, which is out of int64 for all but
those just below -2**63: -9223372036854775809 to -9223372036854776832 become -2**63. Each of those begins with this
(a substring search: about 0.3 us for a 1 KB body of text, where a regular expression over digit runs took 13)."""


def parse_json(body: bytes) -> Any:
    """The JSON value of a body; `InvalidArgument` saying why when it is empty, not UTF-8 or not JSON. A number with
    a fraction or an exponent is a float, an integer literal an int, except that orjson gives a float for one outside
    [-2**63, 2**64): never one that fits int64, so an out-of-range integer is never read as an in-range one."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(_why_not_json(body, exc)) from None
    if _ROUNDED_INTO_INT64 not in body:
        return value
    # Rare: the standard library's parser keeps every integer literal exact; orjson has already refused what is not
    # strict JSON (NaN, a lone surrogate...), so both read the same document.
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # past Python's 4300-digit int limit or its nesting: orjson's reading
        return value


def _why_not_json(body: bytes, exc: orjson.JSONDecodeError) -> str:
    if not body.strip():
        return "request body is empty"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "request body is not valid UTF-8"
    return f"malformed JSON: {exc}"
