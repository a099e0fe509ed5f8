"""The real Prometheus with the project's configuration, against a real Consul in dev mode: it starts with nothing
registered, serves the classic UI and the console dashboards, loads the rules, and finds an instance registered in
Consul with the tag `http`, scraping it on its Meta.http_port with the labels the dashboards rely on."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from deploy.local.kitstack.ports import free_port
from integration.consul_agent import ConsulAgent
from integration.prometheus_server import PROMETHEUS_DIR, PrometheusServer, Result, console_panels, dashboard_queries
from support.http_thread import serving

pytestmark = pytest.mark.integration

METRICS = b"""\
# TYPE kit_sd_instances gauge
kit_sd_instances{service="add",target="trim"} 2
# TYPE kit_requests_total counter
kit_requests_total{service="add",method="Sum",transport="http",outcome="ok"} 3
"""


@pytest.fixture(scope="module")
def consul(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsulAgent]:
    """One Consul dev agent for the tests that only read from it."""
    agent = ConsulAgent(tmp_path_factory.mktemp("consul")).start()
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="module")
def prometheus(consul: ConsulAgent, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Prometheus on that Consul, with nothing registered."""
    with PrometheusServer(consul.addr, tmp_path_factory.mktemp("prometheus")) as server:
        yield server


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == "/metrics"
        body = METRICS if found else b"not found\n"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def exporter() -> Iterator[int]:
    """A /metrics endpoint on 127.0.0.1 exposing kit metrics with service="add"; yields its port."""
    with serving(_Metrics) as port:
        yield port


def test_starts_and_is_ready_with_nothing_registered(prometheus: PrometheusServer) -> None:
    assert prometheus.get("/-/ready").status_code == 200
    assert prometheus.query("kit_requests_total") == []
    itself = prometheus.wait_for(lambda: prometheus.query('up{job="prometheus"}'), timeout=20)
    assert [(s["metric"]["instance"], s["value"][1]) for s in itself] == [(prometheus.address, "1")]


def test_serves_the_classic_ui(prometheus: PrometheusServer) -> None:
    response = prometheus.get("/classic/graph")
    assert response.status_code == 200
    assert "/consoles/index.html" in response.text  # the UI links the consoles because index.html exists


@pytest.mark.parametrize("page", ["kit.html", "index.html"])
def test_console_pages_render_and_their_assets_exist(prometheus: PrometheusServer, page: str) -> None:
    response = prometheus.get(f"/consoles/{page}")
    assert response.status_code == 200, response.text
    assets = set(re.findall(r'(?:src|href)="(/classic/static/[^"]+)"', response.text))
    assert len(assets) >= 8
    for asset in sorted(assets):
        assert prometheus.get(asset).status_code == 200, asset


def test_console_dashboard_shows_every_panel(prometheus: PrometheusServer) -> None:
    prometheus.wait_for(lambda: prometheus.query('up{job="prometheus"}'), timeout=20)
    page = html.unescape(prometheus.get("/consoles/kit.html").text)
    for title, expr in console_panels():
        assert f"<h2>{title}</h2>" in page
        assert f"<code>{expr}</code>" in page
    # The server ran each panel's query while rendering: the prometheus target is in the "targets up" table.
    assert 'job="prometheus"' in page


def test_every_dashboard_query_is_valid_promql(prometheus: PrometheusServer) -> None:
    for expr in dashboard_queries():
        assert isinstance(prometheus.query(expr), list), expr


def test_rules_are_loaded(prometheus: PrometheusServer) -> None:
    groups = prometheus.get("/api/v1/rules").json()["data"]["groups"]
    alerts = {rule["name"] for group in groups for rule in group["rules"] if rule["type"] == "alerting"}
    rules_file = (PROMETHEUS_DIR / "rules" / "kit.rules.yml").read_text()  # its list: test_deploy_rules.py
    assert alerts == set(re.findall(r"^\s+- alert: (\w+)$", rules_file, flags=re.MULTILINE))
    assert "CircuitOpen" in alerts


def register(consul: ConsulAgent, service: dict[str, object]) -> None:
    headers = {"X-Consul-Token": consul.token} if consul.token else {}
    response = httpx.put(f"{consul.url}/v1/agent/service/register", json=service, headers=headers, timeout=5)
    assert response.status_code == 200, response.text


def test_discovers_instances_through_consul_and_scrapes_their_http_port(
    consul_agent: ConsulAgent, exporter: int, tmp_path: Path
) -> None:
    with PrometheusServer(consul_agent.addr, tmp_path) as prometheus:
        check_discovery(consul_agent, prometheus, exporter)


def test_discovers_through_a_consul_that_enforces_acls_with_the_token(
    consul_acl_agent: ConsulAgent, exporter: int, tmp_path: Path
) -> None:
    assert consul_acl_agent.token
    with PrometheusServer(consul_acl_agent.addr, tmp_path, consul_token=consul_acl_agent.token) as prometheus:
        check_discovery(consul_acl_agent, prometheus, exporter)


def check_discovery(consul: ConsulAgent, prometheus: PrometheusServer, exporter: int) -> None:
    grpc_port = free_port()
    # Registered as "probe" while its metrics say service="add": the scraped label must win (honor_labels).
    register(consul, {
        "Name": "probe", "ID": "probe-1", "Address": "127.0.0.1", "Port": grpc_port,
        "Tags": ["grpc", "http"], "Meta": {"http_port": str(exporter)},
    })  # fmt: skip
    # Not scraped: no `http` tag, or no http_port to scrape.
    register(consul, {"Name": "grpc-only", "Address": "127.0.0.1", "Port": free_port(), "Tags": ["grpc"],
                      "Meta": {"http_port": str(exporter)}})  # fmt: skip
    register(consul, {"Name": "no-port", "Address": "127.0.0.1", "Port": free_port(), "Tags": ["http"]})

    def kit_targets() -> list[Result]:
        return [t for t in prometheus.targets() if t["labels"].get("job") == "kit"]

    targets = prometheus.wait_for(kit_targets, until=lambda ts: any(t["health"] == "up" for t in ts), timeout=45)
    assert [t["labels"] for t in targets] == [
        {
            "job": "kit",
            "instance": f"127.0.0.1:{exporter}",
            "service": "probe",
            "grpc_address": f"127.0.0.1:{grpc_port}",
        }
    ]
    assert targets[0]["scrapeUrl"] == f"http://127.0.0.1:{exporter}/metrics"

    series = prometheus.wait_for(lambda: prometheus.query("kit_sd_instances"), timeout=20)
    assert [s["metric"] for s in series] == [
        {
            "__name__": "kit_sd_instances",
            "job": "kit",
            "instance": f"127.0.0.1:{exporter}",
            "service": "add",
            "target": "trim",
            "grpc_address": f"127.0.0.1:{grpc_port}",
        }
    ]
    assert prometheus.query('up{job="kit"}')[0]["metric"]["service"] == "probe"
    assert prometheus.query('count({exported_service!=""})') == []
