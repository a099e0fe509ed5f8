"""Metrics: the kit's Prometheus instrumentation of one service, as endpoint middlewares and small setters.

The request middlewares themselves are `kit.metrics.server` (requests served) and `kit.metrics.client` (calls sent
to an instance); `Metrics` hands them out with the service's labels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter

from kit.endpoint import Endpoint, Req, Resp
from kit.errors import Overloaded, outcome
from kit.metrics.client import client_middleware
from kit.metrics.families import DEFAULT_BUCKETS, declare
from kit.metrics.server import server_middleware


class Metrics:
    """Declares every metric of the contract once on `registry` and hands out the middlewares and setters that
    write them, all labelled with `service`. Make one per process in `main.py`; never the global registry."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        service: str,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        self.registry = registry
        self.service = service
        self.families = declare(registry, buckets=buckets)
        # Per (target, instance): the client counter children by outcome; cleared by remove_instance so that a
        # middleware still in use re-creates its series instead of writing to one the registry no longer holds.
        self._client_children: dict[tuple[str, str], dict[str, Counter]] = {}

    # Middleware return types spell the Callable out: the `Middleware[Req, Resp]` alias would make mypy bind Req and
    # Resp at this call (to Never) instead of at each endpoint the middleware wraps.

    def endpoint(self, method: str) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
        """Server-side middleware for `method`: requests in flight, duration and requests by outcome. The
        transport label is read from `kit.endpoint.transport()` at call time (`local` for in-process calls)."""
        return server_middleware(self.families, self.service, method)

    def client(self, target: str, instance: str) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
        """Client-side middleware for the calls sent to one instance (`instance` is its `host:port`, the `endpoint`
        label) of `target`: counts them by outcome in kit_client_requests_total."""
        children = self._client_children.setdefault((target, instance), {})
        return client_middleware(self.families.client_requests, (self.service, target, instance), children)

    def retry_counter(self, target: str) -> Callable[[], None]:
        """A function to call on each attempt after the first one at `target` (kit_retries_total)."""
        child = self.families.retries.labels(self.service, target)

        def increment() -> None:
            child.inc()

        return increment

    def hedge_counter(self, target: str) -> Callable[[], None]:
        """A function to call on each hedge sent to `target` (kit_hedges_total)."""
        return self.families.hedges.labels(self.service, target).inc

    def budget_exhausted_counter(self, target: str) -> Callable[[], None]:
        """A function to call on each retry or hedge the budget refused for `target`
        (kit_retry_budget_exhausted_total)."""
        return self.families.budget_exhausted.labels(self.service, target).inc

    def instances_gauge(self, target: str) -> Callable[[int], None]:
        """A function to call with the number of instances the instancer holds for `target` (kit_sd_instances)."""
        child = self.families.sd_instances.labels(self.service, target)

        def set_instances(count: int) -> None:
            child.set(count)

        return set_instances

    def circuit_state(self, target: str, instance: str) -> Callable[[int], None]:
        """A function to call with a breaker's state for one instance: 0 closed, 1 half-open, 2 open."""
        family = self.families.circuit_state
        labels = (self.service, target, instance)

        def set_state(state: int) -> None:
            # Resolved on each call (state changes are rare) so it survives remove_instance.
            family.labels(*labels).set(state)

        return set_state

    def remove_instance(self, target: str, instance: str) -> None:
        """Drops every series of an instance that left the rotation, so departed instances do not linger."""
        labels = {"service": self.service, "target": target, "endpoint": instance}  # the label's name is a contract
        self.families.client_requests.remove_by_labels(labels)
        self.families.circuit_state.remove_by_labels(labels)
        children = self._client_children.get((target, instance))
        if children is not None:
            children.clear()

    def ratelimit_rejected(self, method: str) -> Callable[[], None]:
        """A function to call each time the rate limiter refuses a request to `method`."""
        child = self.families.ratelimit_rejected.labels(self.service, method)

        def increment() -> None:
            child.inc()

        return increment

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A business counter on the same registry (e.g. addsvc's integers summed); each name only once."""
        return Counter(name, documentation, tuple(labels), registry=self.registry)

    def shed_counter(self, method: str, *, transport: str | None = None) -> Callable[[], None]:
        """A function to call for each request of `method` shed because the service was overloaded. With
        `transport`, for a request shed before it reached the endpoint (a transport's early gate): it is also
        counted in `kit_requests_total`, as the endpoint middleware counts the requests it sees."""
        child = self.families.shed.labels(self.service, method)
        if transport is None:
            return child.inc
        request = self.families.requests.labels(self.service, method, transport, outcome(Overloaded()))

        def increment() -> None:
            child.inc()
            request.inc()

        return increment

    def shedder_gauges(self, *, limit: Callable[[], float], lag: Callable[[], float]) -> None:
        """Exports the shedder's learned limit and the loop lag, read when Prometheus scrapes."""
        self.families.shed_limit.labels(self.service).set_function(limit)
        self.families.loop_lag.labels(self.service).set_function(lag)
