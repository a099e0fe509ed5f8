"""The circuit-breaker endpoint middleware, as go-kit's `circuitbreaker.Gobreaker`."""

from __future__ import annotations

from collections.abc import Callable

from kit.circuitbreaker.breaker import Breaker
from kit.endpoint import Endpoint, Req, Resp


def circuit_breaker(breaker: Breaker) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """Sends every call of the wrapped endpoint through `breaker`: an open circuit fails fast with `Unavailable`.

    Give each instance its own breaker (in the `sd.Factory` that builds its client endpoint), so one failing
    instance is cut off while the balancer keeps the others.
    """

    def wrap(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def endpoint(request: Req) -> Resp:
            return await breaker.call(lambda: next_(request))

        return endpoint

    return wrap
