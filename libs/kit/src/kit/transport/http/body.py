"""Reading a request body with a hard size limit, each failure as a `kit.errors` class (parsing it as JSON is
`kit.transport.http.json_body`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
