"""Prometheus finds every instance through Consul, the contract's metrics arrive with their labels, and every
dashboard query (Grafana's and the console template's alike) returns data from the live stack."""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import pytest

from integration.consul_agent import ConsulAgent
from integration.procs import ServiceProcess, add_process, stop_all, trim_process
from integration.prometheus_server import PrometheusServer, dashboard_queries
from integration.stack import passing, samples, wait_until

pytestmark = pytest.mark.integration

Observed = tuple[PrometheusServer, ServiceProcess, list[ServiceProcess]]

CONTRACT_LABELS = {
    "kit_requests_total": {"service", "method", "transport", "outcome"},
    "kit_request_duration_seconds_bucket": {"service", "method", "transport", "le"},
    "kit_requests_in_flight": {"service", "method", "transport"},
    "kit_client_requests_total": {"service", "target", "endpoint", "outcome"},
    "kit_retries_total": {"service", "target"},
    "kit_ratelimit_rejected_total": {"service", "method"},
    "kit_circuit_state": {"service", "target", "endpoint"},
    "kit_sd_instances": {"service", "target"},
}


@pytest.fixture(scope="module")
def observed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Observed]:
    tmp = tmp_path_factory.mktemp("observability")
    (tmp / "consul").mkdir()
    agent = ConsulAgent(tmp / "consul").start()
    env = {"CONSUL_HTTP_ADDR": agent.addr, "ADD_RATELIMIT_SUM_PER_CLIENT": "5/35"}
    trims = [trim_process(tmp, f"trim{i}", env=env) for i in (1, 2)]
    add = add_process(tmp, env=env)
    prometheus = PrometheusServer(agent.addr, tmp / "prometheus")
    try:
        for process in (*trims, add):
            process.launch()
        prometheus.start()
        for process in (*trims, add):
            process.wait_ready()
        wait_until(lambda: len(passing(agent.addr, "trim")) == 2, timeout=15, what="two passing trims")
        wait_until(
            lambda: sum(value for _, value in samples(add, "kit_sd_instances")) == 2, timeout=20, what="add to see both"
        )
        yield prometheus, add, trims
    finally:
        stop_all(add, *trims)
        prometheus.stop()
        agent.stop()


def traffic(add: ServiceProcess, calm_address: str) -> None:
    """Calls of every kind, and a burst that meets add's per-client limit (5/s, a burst of 35: see `observed`).

    The limit keys on the peer address. The calm calls come from `calm_address`, a fresh one per test: their 30
    calls fit in its burst however fast they go. The burst comes from 127.0.0.1: 81 calls in well under 9 s (with
    its refill, what a burst of 35 allows) meet the limit however slow the machine is."""
    calm = httpx.Client(base_url=add.http_url, timeout=5, transport=httpx.HTTPTransport(local_address=calm_address))
    with calm, httpx.Client(base_url=add.http_url, timeout=5) as client:
        for i in range(30):
            assert calm.post("/sum", json={"a": i, "b": 1}).status_code == 200
            assert client.post("/concat", json={"a": f"{i} x", "b": "y z"}).status_code == 200
        client.post("/sum", json={"a": 2**63 - 1, "b": 1})  # a business error
        statuses = {client.post("/sum", json={"a": 1, "b": 1}).status_code for _ in range(80)}
        assert 429 in statuses  # so the rate-limit panel has something to show


def up_targets(prometheus: PrometheusServer) -> dict[str, str]:
    return {
        target["labels"]["instance"]: target["health"]
        for target in prometheus.targets()
        if target["labels"].get("job") == "kit"
    }


def test_discovers_every_instance_through_consul(
    observed: Observed,
) -> None:
    prometheus, add, trims = observed
    expected = {f"127.0.0.1:{p.http_port}" for p in (add, *trims)}
    # refresh_interval and scrape_interval are 5 s: two of each is plenty
    wait_until(lambda: up_targets(prometheus) == dict.fromkeys(expected, "up"), timeout=25, what="every target up")
    services = {r["metric"]["service"] for r in prometheus.query('up{job="kit"}')}
    assert services == {"add", "trim"}


def test_contract_metrics_with_labels_and_both_trims_serving(
    observed: Observed,
) -> None:
    prometheus, add, trims = observed
    traffic(add, calm_address="127.0.0.2")

    def scraped() -> bool:
        return bool(prometheus.query('kit_client_requests_total{service="add",outcome="ok"}'))

    wait_until(scraped, timeout=20, what="a scrape after the traffic")
    for name, labels in CONTRACT_LABELS.items():
        results = prometheus.query(name)
        assert results, f"{name} has no series"
        for result in results:
            assert labels <= set(result["metric"]), (name, result["metric"])
    per_endpoint = prometheus.query('sum by (endpoint) (kit_client_requests_total{service="add",outcome="ok"})')
    counts = {r["metric"]["endpoint"]: float(r["value"][1]) for r in per_endpoint}
    assert set(counts) == {t.grpc_address for t in trims}
    assert all(count > 0 for count in counts.values())
    outcomes = {r["metric"]["outcome"] for r in prometheus.query('kit_requests_total{service="add",method="Sum"}')}
    assert {"ok", "business", "rate_limited"} <= outcomes


def test_every_dashboard_query_returns_data(
    observed: Observed,
) -> None:
    prometheus, add, _ = observed
    traffic(add, calm_address="127.0.0.3")
    queries = dashboard_queries()
    assert len(queries) >= 9

    def empty() -> list[str]:
        missing = []
        for expr in queries:
            results = prometheus.query(expr)
            values = [float(r["value"][1]) for r in results]
            if not values or all(math.isnan(v) for v in values):
                missing.append(expr)
        return missing

    wait_until(lambda: not empty(), timeout=30, what=f"data for every dashboard query (still empty: {empty()})")


def test_consoles_render(observed: Observed) -> None:
    prometheus, _, _ = observed
    page = prometheus.get("/consoles/kit.html")
    assert page.status_code == 200
    assert "Calls per trim instance" in page.text or "trim instance" in page.text
