"""The endpoint middleware that requires verified credentials (the verifiers and their dispatch are in
`kit.auth.schemes`)."""

from __future__ import annotations

from collections.abc import Callable

from kit.auth.schemes import Identity
from kit.endpoint import Endpoint, Req, Resp, authenticated, authorization


def authenticate(
    verify: Callable[[str | None], Identity],
) -> Callable[
    [
        Endpoint[Req, Resp],
    ],
    Endpoint[Req, Resp],
]:
    """Middleware that verifies each request's credentials (`kit.endpoint.authorization()`) with `verify` before
    the endpoint runs, then runs it as the verified identity (`kit.endpoint.client()` becomes `scheme:subject`)."""

    def middleware(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def checked(request: Req) -> Resp:
            identity = verify(authorization())
            with authenticated(identity.key):
                return await next_(request)

        return checked

    return middleware
