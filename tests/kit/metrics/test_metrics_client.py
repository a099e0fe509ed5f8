"""The client side and the setters: calls per trim instance, circuit state, retries, instances, rate-limit
refusals and business counters, each on the registry it was given."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from kit.errors import Unavailable
from kit.metrics import Metrics
from support.endpoints import echo, raising
from support.errors import OUTCOMES

INSTANCE = {"service": "add", "target": "trim", "endpoint": "127.0.0.1:8975"}


@pytest.mark.parametrize(("exc", "outcome"), [(None, "ok"), *OUTCOMES])
async def test_client_calls_count_per_instance_and_outcome(
    registry: CollectorRegistry, metrics: Metrics, exc: Exception | None, outcome: str
) -> None:
    endpoint = metrics.client("trim", "127.0.0.1:8975")(echo if exc is None else raising(exc))

    for _ in range(2):
        if exc is None:
            await endpoint(1)
        else:
            with pytest.raises(type(exc)):
                await endpoint(1)

    assert registry.get_sample_value("kit_client_requests_total", {**INSTANCE, "outcome": outcome}) == 2
    other = {**INSTANCE, "endpoint": "127.0.0.1:8976", "outcome": outcome}
    assert registry.get_sample_value("kit_client_requests_total", other) is None


async def test_remove_instance_drops_the_instance_series_and_a_later_call_recreates_them(
    registry: CollectorRegistry, metrics: Metrics
) -> None:
    gone = metrics.client("trim", "127.0.0.1:8975")(echo)
    stays = metrics.client("trim", "127.0.0.1:8976")(echo)
    set_gone_state = metrics.circuit_state("trim", "127.0.0.1:8975")
    await gone(1)
    await stays(1)
    with pytest.raises(Unavailable):
        await metrics.client("trim", "127.0.0.1:8975")(raising(Unavailable("x")))(1)
    set_gone_state(2)
    metrics.circuit_state("trim", "127.0.0.1:8976")(0)

    metrics.remove_instance("trim", "127.0.0.1:8975")

    ok, unavailable = {**INSTANCE, "outcome": "ok"}, {**INSTANCE, "outcome": "unavailable"}
    assert registry.get_sample_value("kit_client_requests_total", ok) is None
    assert registry.get_sample_value("kit_client_requests_total", unavailable) is None
    assert registry.get_sample_value("kit_circuit_state", INSTANCE) is None
    kept = {**INSTANCE, "endpoint": "127.0.0.1:8976"}
    assert registry.get_sample_value("kit_client_requests_total", {**kept, "outcome": "ok"}) == 1
    assert registry.get_sample_value("kit_circuit_state", kept) == 0

    await gone(1)  # the instance came back with the same middleware
    set_gone_state(1)
    assert registry.get_sample_value("kit_client_requests_total", ok) == 1
    assert registry.get_sample_value("kit_circuit_state", INSTANCE) == 1


@pytest.mark.parametrize("state", [0, 1, 2])
def test_circuit_state_sets_the_gauge(registry: CollectorRegistry, metrics: Metrics, state: int) -> None:
    metrics.circuit_state("trim", "127.0.0.1:8975")(state)

    assert registry.get_sample_value("kit_circuit_state", INSTANCE) == state


def test_retry_counter_counts_per_target(registry: CollectorRegistry, metrics: Metrics) -> None:
    retried = metrics.retry_counter("trim")
    retried()
    retried()
    metrics.retry_counter("other")()

    assert registry.get_sample_value("kit_retries_total", {"service": "add", "target": "trim"}) == 2
    assert registry.get_sample_value("kit_retries_total", {"service": "add", "target": "other"}) == 1


def test_instances_gauge_follows_the_last_count(registry: CollectorRegistry, metrics: Metrics) -> None:
    set_instances = metrics.instances_gauge("trim")
    set_instances(3)
    set_instances(1)

    assert registry.get_sample_value("kit_sd_instances", {"service": "add", "target": "trim"}) == 1


def test_ratelimit_rejected_counts_per_method(registry: CollectorRegistry, metrics: Metrics) -> None:
    rejected = metrics.ratelimit_rejected("concat")
    rejected()

    assert registry.get_sample_value("kit_ratelimit_rejected_total", {"service": "add", "method": "concat"}) == 1
    assert registry.get_sample_value("kit_ratelimit_rejected_total", {"service": "add", "method": "sum"}) is None


def test_business_counters_live_on_the_same_registry(registry: CollectorRegistry, metrics: Metrics) -> None:
    summed = metrics.counter("addsvc_integers_summed_total", "Integers summed by Sum.")
    by_kind = metrics.counter("addsvc_things_total", "Things by kind.", ["kind"])
    summed.inc(5)
    by_kind.labels("a").inc()

    assert registry.get_sample_value("addsvc_integers_summed_total") == 5
    assert registry.get_sample_value("addsvc_things_total", {"kind": "a"}) == 1
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        metrics.counter("addsvc_integers_summed_total", "again")


def test_two_registries_are_independent() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    Metrics(first, service="add").retry_counter("trim")()
    Metrics(second, service="trim")

    assert first.get_sample_value("kit_retries_total", {"service": "add", "target": "trim"}) == 1
    assert second.get_sample_value("kit_retries_total", {"service": "add", "target": "trim"}) is None
