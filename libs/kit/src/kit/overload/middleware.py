"""Load shedding as an endpoint middleware: a shed request fails at once with `kit.errors.Overloaded` (503 with
`Retry-After` over HTTP, UNAVAILABLE with a `retry-after` trailer over gRPC), before any work is done for it."""

from __future__ import annotations

from collections.abc import Callable

from kit.endpoint import Endpoint, Req, Resp
from kit.errors import Overloaded, is_failure
from kit.overload.shedder import Shedder


def shedding(
    shedder: Shedder, *, on_shed: Callable[[], None] = lambda: None
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """Wraps an endpoint so that `shedder` admits or sheds each call; `on_shed` is called for each one shed (a
    metric). Share one shedder between every method of a service: the limit is the service's."""

    def middleware(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def shed_or_serve(request: Req) -> Resp:
            if shedder.should_shed():
                on_shed()
                raise Overloaded(retry_after=shedder.cfg.retry_after)
            started = shedder.admitted()
            completed = False
            try:
                response = await next_(request)
                completed = True
                return response
            except Exception as exc:
                completed = not is_failure(exc)  # a business answer is work done like any other
                raise
            finally:
                shedder.done(started, completed=completed)

        return shed_or_serve

    return middleware


__all__ = ["shedding"]
