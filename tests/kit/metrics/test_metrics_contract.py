"""The metric names, types and labels of docs/contracts.md: dashboards and alerts break if any of them drifts."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from kit.endpoint import request_scope
from kit.errors import Unavailable
from kit.metrics import Metrics

# Copied from docs/contracts.md on purpose, not imported: a change in the code must fail here.
CONTRACT: dict[str, tuple[str, frozenset[str]]] = {
    "kit_requests_total": ("counter", frozenset({"service", "method", "transport", "outcome"})),
    "kit_request_duration_seconds": ("histogram", frozenset({"service", "method", "transport"})),
    "kit_requests_in_flight": ("gauge", frozenset({"service", "method", "transport"})),
    "kit_client_requests_total": ("counter", frozenset({"service", "target", "endpoint", "outcome"})),
    "kit_retries_total": ("counter", frozenset({"service", "target"})),
    "kit_ratelimit_rejected_total": ("counter", frozenset({"service", "method"})),
    "kit_circuit_state": ("gauge", frozenset({"service", "target", "endpoint"})),
    "kit_sd_instances": ("gauge", frozenset({"service", "target"})),
    # Added with load shedding (README, "Overload"): beside the contract, never renaming any of it.
    "kit_shed_total": ("counter", frozenset({"service", "method"})),
    "kit_shed_limit": ("gauge", frozenset({"service"})),
    "kit_loop_lag_seconds": ("gauge", frozenset({"service"})),
}

# Beyond the contract, the kit's own (the README lists them): the same labels as kit_retries_total.
KIT_OWN: dict[str, tuple[str, frozenset[str]]] = {
    "kit_hedges_total": ("counter", frozenset({"service", "target"})),
    "kit_retry_budget_exhausted_total": ("counter", frozenset({"service", "target"})),
}


async def _touch_everything(metrics: Metrics) -> None:
    async def ok(request: int) -> int:
        return request

    async def fail(request: int) -> int:
        raise Unavailable("down")

    with request_scope(transport="http"):
        await metrics.endpoint("sum")(ok)(1)
    with pytest.raises(Unavailable):
        await metrics.client("trim", "127.0.0.1:8975")(fail)(1)
    metrics.retry_counter("trim")()
    metrics.hedge_counter("trim")()
    metrics.budget_exhausted_counter("trim")()
    metrics.ratelimit_rejected("sum")()
    metrics.circuit_state("trim", "127.0.0.1:8975")(2)
    metrics.instances_gauge("trim")(2)
    metrics.shed_counter("sum")()
    metrics.shedder_gauges(limit=lambda: 8.0, lag=lambda: 0.001)


def _exposed(registry: CollectorRegistry) -> dict[str, tuple[str, frozenset[str]]]:
    """Name as exposed (counters with `_total`), type and label names, read from what a scrape would see."""
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for family in registry.collect():
        name = f"{family.name}_total" if family.type == "counter" else family.name
        labels = {key for sample in family.samples for key in sample.labels if key != "le"}
        found[name] = (family.type, frozenset(labels))
    return found


async def test_every_contract_metric_has_exactly_its_name_type_and_labels() -> None:
    registry = CollectorRegistry()
    await _touch_everything(Metrics(registry, service="add"))

    assert _exposed(registry) == CONTRACT | KIT_OWN


async def test_the_exposition_text_names_each_contract_metric_with_its_type() -> None:
    registry = CollectorRegistry()
    await _touch_everything(Metrics(registry, service="add"))

    text = generate_latest(registry).decode()

    for name, (kind, _) in CONTRACT.items():
        assert f"# TYPE {name} {kind}\n" in text


@pytest.mark.parametrize("reserved", ["instance", "job"])
def test_no_label_uses_a_name_prometheus_sets_on_scrape(reserved: str) -> None:
    assert all(reserved not in labels for _, labels in CONTRACT.values())


def test_metrics_never_touch_the_global_registry() -> None:
    from prometheus_client import REGISTRY

    Metrics(CollectorRegistry(), service="add")

    assert not any(family.name.startswith("kit_") for family in REGISTRY.collect())


def test_declaring_twice_on_one_registry_is_refused() -> None:
    registry = CollectorRegistry()
    Metrics(registry, service="add")

    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Metrics(registry, service="add")


def test_a_request_shed_at_a_transports_gate_is_counted_as_the_endpoint_would_count_it() -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry, service="add")
    metrics.shed_counter("Sum", transport="http")()
    labels = {"service": "add", "method": "Sum"}
    assert registry.get_sample_value("kit_shed_total", labels) == 1
    requests = registry.get_sample_value("kit_requests_total", {**labels, "transport": "http", "outcome": "overloaded"})
    assert requests == 1
