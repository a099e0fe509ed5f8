"""The client side of the request metrics: the calls sent to one instance of a target, counted by outcome in
kit_client_requests_total."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter

from kit.endpoint import Endpoint, Req, Resp
from kit.errors import outcome
from kit.metrics.families import OK


def client_middleware(
    family: Counter, labels: tuple[str, str, str], children: dict[str, Counter]
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """The middleware of `Metrics.client`: counts each call in `family` under `labels` (service, target, instance)
    and its outcome, keeping the children it resolved in `children` (which `Metrics.remove_instance` clears, so a
    middleware still in use re-creates its series instead of writing to one the registry no longer holds)."""

    def middleware(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
        async def instrumented(request: Req) -> Resp:
            result = OK
            try:
                return await next_(request)
            except BaseException as exc:
                result = outcome(exc)
                raise
            finally:
                child = children.get(result)
                if child is None:
                    child = children[result] = family.labels(*labels, result)
                child.inc()

        return instrumented

    return middleware


__all__ = ["client_middleware"]
