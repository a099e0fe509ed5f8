"""Starts the real Prometheus for integration tests, configured exactly as the stack configures it (rendered from
deploy/prometheus/prometheus.yml.in for a given Consul), and stops exactly that process by PID.

Also reads the dashboards' queries back out of both dashboard forms, so that an end-to-end test can run every
panel's query against live data.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from integration.procs import free_port

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RENDER_CONFIG = PROMETHEUS_DIR / "render_config.py"
CONSOLES = PROMETHEUS_DIR / "consoles"
CONSOLE_LIBRARIES = PROMETHEUS_DIR / "console_libraries"
GRAFANA_DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
TOOLS = ROOT / ".tools"
PROMETHEUS_BIN = TOOLS / "bin" / "prometheus"
WEB_ASSETS = TOOLS / "root" / "usr" / "share" / "prometheus" / "web"

Result = dict[str, Any]
"""One element of a query result or of the active targets, as the HTTP API returns it."""


@dataclass
class PrometheusServer:
    """The real Prometheus binary on a free 127.0.0.1 port, discovering services through the Consul at
    `consul_address` (`host:port`; nothing needs to listen there), with its data and log in `workdir`."""

    consul_address: str
    workdir: Path
    consul_token: str = field(default="", kw_only=True)
    binary: Path = field(default=PROMETHEUS_BIN, kw_only=True)
    port: int = field(default_factory=free_port, kw_only=True)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "prometheus.yml"

    @property
    def log_path(self) -> Path:
        return self.workdir / "prometheus.log"

    def render_config(self) -> Path:
        """Writes the configuration with deploy/prometheus/render_config.py, as the stack without Docker does."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, str(RENDER_CONFIG), "--consul", self.consul_address, "--self", self.address]
        argv += ["--rules-dir", str(PROMETHEUS_DIR / "rules"), "-o", str(self.config_path)]
        env = {**os.environ, "CONSUL_HTTP_TOKEN": self.consul_token}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"render_config.py failed:\n{done.stderr}")
        return self.config_path

    def command(self) -> list[str]:
        """The command line the server runs with."""
        return [
            str(self.binary),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address={self.address}",
            "--web.enable-lifecycle",
            f"--web.console.templates={CONSOLES}",
            f"--web.console.libraries={CONSOLE_LIBRARIES}",
            f"--web.local-assets={WEB_ASSETS}/",
        ]

    def start(self, *, wait: float = 60.0) -> PrometheusServer:
        """Renders the config, starts the binary and waits (bounded by `wait` seconds) until /-/ready says 200."""
        if not self.binary.exists():
            raise RuntimeError(f"no Prometheus at {self.binary}: run `make tools`")
        self.render_config()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{self.log()}")
            if self.ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"prometheus was not ready within {wait}s:\n{self.log()}")

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
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM to our own process, then SIGKILL if it has not exited within `timeout` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> PrometheusServer:
        return self.start() if self.proc is None else self

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
