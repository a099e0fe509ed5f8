"""Metrics middlewares and setters over fake endpoints, read back with registry.get_sample_value."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from prometheus_client import CollectorRegistry

import kit.metrics.metrics as metrics_module
from kit.endpoint import chain, request_scope
from kit.errors import (
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
)
from kit.metrics import Metrics
from support.clock import FakeClock

SERVER = {"service": "add", "method": "sum", "transport": "http"}
INSTANCE = {"service": "add", "target": "trim", "endpoint": "127.0.0.1:8975"}

OUTCOMES = [
    (BusinessError("integer overflow"), "business"),
    (InvalidArgument("missing a"), "invalid_argument"),
    (PayloadTooLarge("too big"), "too_large"),
    (RateLimited(), "rate_limited"),
    (Unavailable("no trim"), "unavailable"),
    (ConnectionFailed("refused"), "unavailable"),
    (DeadlineExceeded("late"), "deadline_exceeded"),
    (Internal("bug"), "internal"),
    (ValueError("not a kit error"), "internal"),
]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> Metrics:
    return Metrics(registry, service="add")


async def echo(request: int) -> int:
    return request


def raising(exc: Exception) -> Callable[[int], Awaitable[int]]:
    async def endpoint(request: int) -> int:
        raise exc

    return endpoint


async def test_a_successful_call_counts_ok_and_observes_its_duration(
    registry: CollectorRegistry, metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(metrics_module, "perf_counter", clock)

    async def slow(request: int) -> int:
        clock.now += 0.3
        return request

    with request_scope(transport="http"):
        assert await metrics.endpoint("sum")(slow)(7) == 7

    assert registry.get_sample_value("kit_requests_total", {**SERVER, "outcome": "ok"}) == 1
    assert registry.get_sample_value("kit_request_duration_seconds_count", SERVER) == 1
    assert registry.get_sample_value("kit_request_duration_seconds_sum", SERVER) == pytest.approx(0.3)
    assert registry.get_sample_value("kit_request_duration_seconds_bucket", {**SERVER, "le": "0.25"}) == 0
    assert registry.get_sample_value("kit_request_duration_seconds_bucket", {**SERVER, "le": "0.5"}) == 1
    assert registry.get_sample_value("kit_requests_in_flight", SERVER) == 0


@pytest.mark.parametrize(("exc", "outcome"), OUTCOMES)
async def test_a_failed_call_counts_its_error_class_and_reraises(
    registry: CollectorRegistry, metrics: Metrics, exc: Exception, outcome: str
) -> None:
    with request_scope(transport="http"), pytest.raises(type(exc)):
        await metrics.endpoint("sum")(raising(exc))(1)

    assert registry.get_sample_value("kit_requests_total", {**SERVER, "outcome": outcome}) == 1
    assert registry.get_sample_value("kit_requests_total", {**SERVER, "outcome": "ok"}) is None
    assert registry.get_sample_value("kit_request_duration_seconds_count", SERVER) == 1
    assert registry.get_sample_value("kit_requests_in_flight", SERVER) == 0


async def test_in_flight_goes_up_during_calls_and_back_down(registry: CollectorRegistry, metrics: Metrics) -> None:
    release = asyncio.Event()
    seen: list[float | None] = []

    async def held(request: int) -> int:
        seen.append(registry.get_sample_value("kit_requests_in_flight", SERVER))
        await release.wait()
        return request

    endpoint = metrics.endpoint("sum")(held)

    async def call(n: int) -> int:
        with request_scope(transport="http"):
            return await endpoint(n)

    tasks = [asyncio.create_task(call(n)) for n in range(3)]
    for _ in range(10):  # let the tasks run up to their wait, a bounded number of turns
        await asyncio.sleep(0)
    assert seen == [1, 2, 3]
    assert registry.get_sample_value("kit_requests_in_flight", SERVER) == 3

    release.set()
    assert await asyncio.gather(*tasks) == [0, 1, 2]
    assert registry.get_sample_value("kit_requests_in_flight", SERVER) == 0
    assert registry.get_sample_value("kit_requests_total", {**SERVER, "outcome": "ok"}) == 3


async def test_a_cancelled_call_counts_cancelled_and_leaves_flight(
    registry: CollectorRegistry, metrics: Metrics
) -> None:
    started = asyncio.Event()

    async def forever(request: int) -> int:
        started.set()
        await asyncio.Event().wait()
        return request

    async def call() -> int:
        with request_scope(transport="http"):
            return await metrics.endpoint("sum")(forever)(1)

    task = asyncio.create_task(call())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert registry.get_sample_value("kit_requests_total", {**SERVER, "outcome": "cancelled"}) == 1
    assert registry.get_sample_value("kit_requests_in_flight", SERVER) == 0


async def test_the_transport_label_follows_the_request_scope(registry: CollectorRegistry, metrics: Metrics) -> None:
    endpoint = metrics.endpoint("sum")(echo)

    for transport in ["http", "grpc", "grpc"]:
        with request_scope(transport=transport):
            await endpoint(1)
    await endpoint(1)  # outside any server: an in-process call

    def total(transport: str) -> float | None:
        labels = {"service": "add", "method": "sum", "transport": transport, "outcome": "ok"}
        return registry.get_sample_value("kit_requests_total", labels)

    assert (total("http"), total("grpc"), total("local")) == (1, 2, 1)


async def test_one_middleware_serves_many_endpoints_and_composes_with_chain(
    registry: CollectorRegistry, metrics: Metrics
) -> None:
    instrument = metrics.endpoint("sum")
    calls: list[int] = []

    async def recording(request: int) -> int:
        calls.append(request)
        return request

    with request_scope(transport="grpc"):
        await instrument(echo)(1)
        await chain(instrument, metrics.client("trim", "127.0.0.1:8975"))(recording)(2)

    grpc_ok = {"service": "add", "method": "sum", "transport": "grpc", "outcome": "ok"}
    assert registry.get_sample_value("kit_requests_total", grpc_ok) == 2
    assert registry.get_sample_value("kit_client_requests_total", {**INSTANCE, "outcome": "ok"}) == 1
    assert calls == [2]


async def test_custom_buckets_replace_the_default_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = CollectorRegistry()
    clock = FakeClock()
    monkeypatch.setattr(metrics_module, "perf_counter", clock)

    async def slow(request: int) -> int:
        clock.now += 2.0
        return request

    with request_scope(transport="http"):
        await Metrics(registry, service="add", buckets=(0.1, 1.0)).endpoint("sum")(slow)(1)

    def bucket(le: str) -> float | None:
        return registry.get_sample_value("kit_request_duration_seconds_bucket", {**SERVER, "le": le})

    assert (bucket("0.1"), bucket("1.0"), bucket("+Inf"), bucket("0.25")) == (0, 0, 1, None)


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


async def test_remove_endpoint_drops_the_instance_series_and_a_later_call_recreates_them(
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

    metrics.remove_endpoint("trim", "127.0.0.1:8975")

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
