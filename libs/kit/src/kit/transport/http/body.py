"""Reading a request body with a hard size limit and parsing it as JSON, each failure as a `kit.errors` class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from kit.errors import InvalidArgument, PayloadTooLarge

JSON_MEDIA_TYPE = "application/json"
"""The media type of every body the kit's HTTP transport reads and writes."""


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing with `PayloadTooLarge` as soon as it is known to exceed `limit` bytes: at once when
    `Content-Length` says so, else while the chunks of a streamed body are counted."""
    try:
        return await collect_body(request.headers.get("content-length"), request.stream(), limit)
    except ClientDisconnect:
        raise InvalidArgument("client disconnected before sending the whole body") from None


async def collect_body(declared: str | None, chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """`read_body` over any stream of chunks, `declared` being the request's Content-Length header (if any)."""
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise InvalidArgument("invalid Content-Length header")
        if int(declared) > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes")
        if chunk:
            parts.append(chunk)
    # One chunk is the usual case: return it as it is rather than copying it.
    return parts[0] if len(parts) == 1 else b"".join(parts)


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
