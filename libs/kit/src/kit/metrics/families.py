"""The kit's Prometheus metric families, declared once per registry with exactly the names and labels of the
contract (docs: docs/contracts.md, "Metrics"), which dashboards and alerts rely on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Request duration buckets in seconds, from half a millisecond (an in-process call) to ten seconds."""


OK = "ok"
"""The `outcome` label of a call that returned normally."""


@dataclass(frozen=True)
class Families:
    """Every metric family the kit writes; label order is the contract's order."""

    requests: Counter
    duration: Histogram
    in_flight: Gauge
    client_requests: Counter
    retries: Counter
    hedges: Counter
    budget_exhausted: Counter
    ratelimit_rejected: Counter
    circuit_state: Gauge
    sd_instances: Gauge
    shed: Counter
    shed_limit: Gauge
    loop_lag: Gauge


def declare(registry: CollectorRegistry, *, buckets: Sequence[float] = DEFAULT_BUCKETS) -> Families:
    """Registers the kit's families on `registry` (never the global one); a second call on it raises ValueError."""
    server = ("service", "method", "transport")
    instance = ("service", "target", "endpoint")
    return Families(
        requests=Counter(
            "kit_requests_total",
            "Requests served, by outcome: ok or the error class (kit.errors code).",
            (*server, "outcome"),
            registry=registry,
        ),
        duration=Histogram(
            "kit_request_duration_seconds",
            "Time taken to serve a request, in seconds.",
            server,
            buckets=tuple(buckets),
            registry=registry,
        ),
        in_flight=Gauge(
            "kit_requests_in_flight",
            "Requests being served right now.",
            server,
            registry=registry,
        ),
        client_requests=Counter(
            "kit_client_requests_total",
            "Calls sent to one instance of a target service, by outcome.",
            (*instance, "outcome"),
            registry=registry,
        ),
        retries=Counter(
            "kit_retries_total",
            "Attempts after the first one, per target service.",
            ("service", "target"),
            registry=registry,
        ),
        hedges=Counter(
            "kit_hedges_total",
            "Hedged attempts: sent beside an attempt that had not answered yet, per target service.",
            ("service", "target"),
            registry=registry,
        ),
        budget_exhausted=Counter(
            "kit_retry_budget_exhausted_total",
            "Retries and hedges not sent because the retry budget was spent, per target service.",
            ("service", "target"),
            registry=registry,
        ),
        ratelimit_rejected=Counter(
            "kit_ratelimit_rejected_total",
            "Requests refused by the rate limiter.",
            ("service", "method"),
            registry=registry,
        ),
        circuit_state=Gauge(
            "kit_circuit_state",
            "Circuit breaker state per instance: 0 closed, 1 half-open, 2 open.",
            instance,
            registry=registry,
        ),
        sd_instances=Gauge(
            "kit_sd_instances",
            "Instances the service discovery instancer currently holds for a target.",
            ("service", "target"),
            registry=registry,
        ),
        shed=Counter(
            "kit_shed_total",
            "Requests shed (answered 503 / UNAVAILABLE at once) because the service was overloaded.",
            ("service", "method"),
            registry=registry,
        ),
        shed_limit=Gauge(
            "kit_shed_limit",
            "Requests the service may have in flight while overloaded: its learned concurrency limit.",
            ("service",),
            registry=registry,
        ),
        loop_lag=Gauge(
            "kit_loop_lag_seconds",
            "How late the event loop runs a callback that is due: the wait of work that is ready.",
            ("service",),
            registry=registry,
        ),
    )
