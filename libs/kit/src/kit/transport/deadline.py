"""What both servers do with the request's deadline: stop the endpoint when it passes and say so."""

from __future__ import annotations

import asyncio

from kit.endpoint import Endpoint, Req, Resp, remaining
from kit.errors import DeadlineExceeded


async def call_within_deadline(endpoint: Endpoint[Req, Resp], request: Req) -> Resp:
    """Calls the endpoint, cancelling it when the request's deadline passes (then `DeadlineExceeded`). A
    TimeoutError the endpoint raises of its own is left as it is: it is no deadline of this request."""
    left = remaining()
    if left is None:
        return await endpoint(request)
    timer = asyncio.timeout(left)
    try:
        async with timer:
            return await endpoint(request)
    except TimeoutError:
        if timer.expired():
            raise DeadlineExceeded("deadline exceeded") from None
        raise
