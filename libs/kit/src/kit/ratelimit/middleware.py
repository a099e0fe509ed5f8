"""Rate-limiting endpoint middlewares: refuse at once (`erroring`) or wait for a token (`delaying`).

Both raise `kit.errors.RateLimited` with `retry_after` set; the HTTP transport answers 429 with `Retry-After`,
the gRPC transport RESOURCE_EXHAUSTED. `on_reject` is called once per refused request (the
`kit_ratelimit_rejected_total` counter). The client key comes from `kit.endpoint.client()`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from kit.clock import Sleep
from kit.endpoint import Endpoint, Req, Resp, client, remaining
from kit.errors import RateLimited
from kit.ratelimit.limiter import Limiter, Reserver

MESSAGE = "rate limit exceeded"


def erroring(
    limiter: Limiter, *, on_reject: Callable[[], None] | None = None
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """Refuses requests over the limit with `RateLimited`, never calling the endpoint for them."""

    def wrap(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def endpoint(request: Req) -> Resp:
            wait = limiter.check(client())
            if wait > 0.0:
                if on_reject is not None:
                    on_reject()
                raise RateLimited(MESSAGE, retry_after=wait)
            return await next_(request)

        return endpoint

    return wrap


def delaying(
    limiter: Reserver,
    *,
    on_reject: Callable[[], None] | None = None,
    max_wait: float | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """Holds requests over the limit until their token is due, then calls the endpoint.

    A request waits at most until its deadline (`kit.endpoint.remaining()`) and at most `max_wait` seconds when
    given; without either it waits as long as its turn takes. When the wait would reach that bound the request is
    refused with `RateLimited` at once instead of sleeping in vain. A token is reserved before sleeping, so
    concurrent waiters queue one behind another; a waiter cancelled during its sleep does not give its token back.
    """

    def wrap(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def endpoint(request: Req) -> Resp:
            bound = _bound(max_wait)
            wait = limiter.reserve(client(), max_wait=bound)
            if wait > 0.0:
                if wait >= bound:  # the limiter took nothing: the token would come too late
                    if on_reject is not None:
                        on_reject()
                    raise RateLimited(MESSAGE, retry_after=wait)
                await sleep(wait)
            return await next_(request)

        return endpoint

    return wrap


def _bound(max_wait: float | None) -> float:
    left = remaining()
    bounds = [b for b in (left, max_wait) if b is not None]
    return min(bounds) if bounds else math.inf
