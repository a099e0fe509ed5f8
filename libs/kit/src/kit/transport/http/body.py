"""Reading a request body with a hard size limit and parsing it as JSON, each failure as a `kit.errors` class."""

from __future__ import annotations

import json
import re
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


_LONG_DIGITS = re.compile(rb"\d{19}")
"""orjson reads an integer literal outside [-2**63, 2**64) as a rounded float (`-9223372036854775809` as -2**63,
which fits int64); every such literal has at least 19 digits."""


def parse_json(body: bytes) -> Any:
    """The JSON value of a body; `InvalidArgument` saying why when it is empty, not UTF-8 or not JSON. Every integer
    literal is read exact (a Python int, however long), every number with a fraction or an exponent as a float."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(_why_not_json(body, exc)) from None
    if _LONG_DIGITS.search(body) is None:
        return value
    # Rare (a run of 19 digits, in a number or a string): the standard library's parser keeps integer literals
    # exact; orjson has already refused what is not strict JSON (NaN, a lone surrogate...), so it reads the same
    # document.
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
