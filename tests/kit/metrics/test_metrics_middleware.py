"""The request metrics middleware over fake endpoints, read back with registry.get_sample_value."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

import kit.metrics.server as server_module
from kit.endpoint import chain, request_scope
from kit.metrics import Metrics
from support.clock import FakeClock
from support.endpoints import echo, raising
from support.errors import OUTCOMES

SERVER = {"service": "add", "method": "sum", "transport": "http"}
INSTANCE = {"service": "add", "target": "trim", "endpoint": "127.0.0.1:8975"}


async def test_a_successful_call_counts_ok_and_observes_its_duration(
    registry: CollectorRegistry, metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(server_module, "perf_counter", clock)

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
    monkeypatch.setattr(server_module, "perf_counter", clock)

    async def slow(request: int) -> int:
        clock.now += 2.0
        return request

    with request_scope(transport="http"):
        await Metrics(registry, service="add", buckets=(0.1, 1.0)).endpoint("sum")(slow)(1)

    def bucket(le: str) -> float | None:
        return registry.get_sample_value("kit_request_duration_seconds_bucket", {**SERVER, "le": le})

    assert (bucket("0.1"), bucket("1.0"), bucket("+Inf"), bucket("0.25")) == (0, 0, 1, None)
