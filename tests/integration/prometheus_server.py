"""Starts the real Prometheus for integration tests exactly as the stack does (kitstack renders its config from
deploy/prometheus/prometheus.yml.in for a given Consul, plans its command line and launches it), and stops exactly
that process by PID.

Also reads the dashboards' queries back out of both dashboard forms, so that an end-to-end test can run every
panel's query against live data.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from deploy.local.kitstack import plan, prometheus
from deploy.local.kitstack.ports import Ports, free_port
from deploy.local.kitstack.process import Process
from integration.consul_agent import tools
from integration.procs import READY_SECONDS

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
CONSOLES = PROMETHEUS_DIR / "consoles"
GRAFANA_DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
TOOLS = ROOT / ".tools"

Result = dict[str, Any]
"""One element of a query result or of the active targets, as the HTTP API returns it."""


@dataclass
class PrometheusServer:
    """The real Prometheus binary on a free 127.0.0.1 port, discovering services through the Consul at
    `consul_address` (`host:port`; nothing needs to listen there), with its data and log in `workdir`."""

    consul_address: str
    workdir: Path
    consul_token: str = field(default="", kw_only=True)
    port: int = field(default_factory=free_port, kw_only=True)
    process: Process | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "prometheus.log"

    def spec(self) -> plan.Spec:
        """Renders the configuration and plans the command line, as the local stack does."""
        files = prometheus.render(
            ROOT, self.workdir, consul=self.consul_address, prometheus=self.address, token=self.consul_token
        )
        ports = Ports(prometheus=self.port)
        return plan.prometheus(tools(), ports, files, self.workdir / "data", extra=["--web.enable-lifecycle"])

    def start(self, *, wait: float = READY_SECONDS) -> PrometheusServer:
        """Starts the binary and waits (bounded by `wait` seconds) until /-/ready says 200."""
        self.process = Process.start(self.spec(), log=self.log_path, cwd=self.workdir)
        self.process.wait_ready(self.ready, timeout=wait)
        return self

    def ready(self) -> bool:
        """True when /-/ready answers 200."""
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def get(self, path: str, **params: str) -> httpx.Response:
        """GET on the server (the web UI, the consoles, the API)."""
        return httpx.get(f"{self.url}{path}", params=params, timeout=10.0)

    def _api(self, path: str, **params: str) -> Any:
        response = self.get(f"/api/v1/{path}", **params)
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {response.status_code} {body}")
        return body["data"]

    def query(self, expr: str) -> list[Result]:
        """The instant query's result list: each `{"metric": {labels}, "value": [time, "value"]}`."""
        data = self._api("query", query=expr)
        return list(data["result"]) if data["resultType"] in ("vector", "matrix") else [data]

    def targets(self) -> list[Result]:
        """The active scrape targets, each with `labels`, `discoveredLabels`, `health`, `scrapeUrl`..."""
        return list(self._api("targets", state="active")["activeTargets"])

    def wait_for(
        self, fetch: Callable[[], list[Result]], *, until: Callable[[list[Result]], bool] = bool, timeout: float = 30.0
    ) -> list[Result]:
        """Polls `fetch` (e.g. `lambda: server.query(expr)`) until `until` holds for its answer, at most `timeout`
        seconds; returns that answer, or raises TimeoutError with the last one."""
        deadline = time.monotonic() + timeout
        while True:
            answer = fetch()
            if until(answer):
                return answer
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; last answer: {answer}")
            time.sleep(0.25)

    def log(self) -> str:
        return self.process.log_text() if self.process is not None else ""

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM to our own process, then SIGKILL if it has not exited within `timeout` seconds."""
        if self.process is not None:
            self.process.stop(timeout=timeout)

    def __enter__(self) -> PrometheusServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


PANEL_CALL = re.compile(
    r'\{\{-?\s*template\s+"kit_panel"\s+\(args\s+"(?P<id>[^"]*)"\s+"(?P<title>[^"]*)"\s+`(?P<expr>[^`]*)`'
)
QUERY_CALL = re.compile(r"\bquery\s+[\"`]")


def grafana_queries(folder: Path = GRAFANA_DASHBOARDS) -> list[str]:
    """Every target expression of every panel of the Grafana dashboards in `folder`, in panel order."""
    exprs: list[str] = []
    for path in sorted(folder.glob("*.json")):
        for panel in json.loads(path.read_text()).get("panels", []):
            exprs.extend(target["expr"] for target in panel.get("targets", []) if "expr" in target)
    return exprs


def console_panels(folder: Path = CONSOLES) -> list[tuple[str, str]]:
    """(title, query) of every `kit_panel` in the console templates of `folder`, in page order."""
    panels: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.html")):
        text = path.read_text()
        panels.extend((match["title"], match["expr"]) for match in PANEL_CALL.finditer(text))
    return panels


def console_queries(folder: Path = CONSOLES) -> list[str]:
    """Every query the console templates in `folder` run, through `kit_panel` or a literal `query` call; a literal
    query outside a panel raises ValueError, since no dashboard comparison could see it."""
    for path in sorted(folder.glob("*.html")):
        if QUERY_CALL.search(path.read_text()):
            raise ValueError(f"{path}: put queries in kit_panel calls so both dashboards can be compared")
    return [expr for _, expr in console_panels(folder)]


def dashboard_queries() -> list[str]:
    """Every panel query of both dashboard forms (Grafana's JSON and the console templates), without repeats."""
    return list(dict.fromkeys([*grafana_queries(), *console_queries()]))
