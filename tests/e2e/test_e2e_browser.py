"""The running stack as a person sees it, in headless Chromium: the Consul UI lists add and every trim as passing,
and the dashboard (Prometheus' console /consoles/kit.html) shows data in every panel after some traffic.

Screenshots go to the test's tmp dir, and are copied to $KIT_SCREENSHOTS_DIR when it is set. Without a chromium on
PATH the module is skipped with the way to enable it (scripts/install-browser.sh)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.e2e_chromium import HOW_TO_ENABLE, Browser, find_chromium
from e2e.e2e_stack import ROOT, RunningStack

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(find_chromium() is None, reason=HOW_TO_ENABLE),
]

PANELS = ROOT / "deploy" / "grafana" / "panels.toml"
WIDTH, HEIGHT = 1280, 900


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = find_chromium()
    assert binary is not None
    with Browser(binary, tmp_path / "chromium-profile", width=WIDTH, height=HEIGHT) as opened:
        yield opened


@dataclass(frozen=True, slots=True)
class Screens:
    """Where a test's screenshots go: its tmp dir, and a copy in `extra` ($KIT_SCREENSHOTS_DIR) when set."""

    folder: Path
    extra: Path | None

    def take(self, browser: Browser, name: str, *, full_page: bool = True) -> Path:
        """Saves a screenshot of the page as NAME.png and checks it is a PNG of the window's width."""
        path = browser.screenshot(self.folder / f"{name}.png", full_page=full_page)
        width, height = _png_size(path)
        assert width == WIDTH, (path, width)
        assert height >= 400, (path, height)
        if self.extra is not None:
            self.extra.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.extra / path.name)
        return path


@pytest.fixture
def screens(tmp_path: Path) -> Screens:
    extra = os.environ.get("KIT_SCREENSHOTS_DIR", "").strip()
    return Screens(folder=tmp_path / "screens", extra=Path(extra) if extra else None)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


SERVICES_JS = """
Array.from(document.querySelectorAll('.consul-service-list li.linkable')).map(li => ({
  name: li.querySelector('a').textContent.trim(),
  health: li.querySelector('dl').className,
  instances: parseInt((li.innerText.match(/(\\d+) Instances?/) || [0, -1])[1], 10),
}))
"""


def test_consul_ui_lists_add_and_every_trim_passing(stack: RunningStack, browser: Browser, screens: Screens) -> None:
    browser.open(f"{stack.consul_url}/ui/dc1/services")
    want = [
        {"name": "add", "health": "passing", "instances": 1},
        {"name": "consul", "health": "passing", "instances": 1},
        {"name": "trim", "health": "passing", "instances": stack.trims},
    ]
    shown = browser.wait_for(SERVICES_JS, until=lambda s: s == want, timeout=20, what="add and the trims, passing")
    assert shown == want
    screens.take(browser, "consul-services")


INSTANCES_JS = """
Array.from(document.querySelectorAll('.consul-service-instance-list li'))
  .filter(li => li.querySelector('a')).map(li => ({
  id: li.querySelector('a').textContent.trim(),
  address: li.querySelector('dl.address dd').textContent.trim(),
  checks: Array.from(li.querySelectorAll('dl.passing dd, dl.warning dd, dl.critical dd'))
    .map(dd => dd.closest('dl').className + ': ' + dd.textContent.trim()),
}))
"""


def test_consul_ui_shows_each_trim_instance_healthy(stack: RunningStack, browser: Browser, screens: Screens) -> None:
    browser.open(f"{stack.consul_url}/ui/dc1/services/trim/instances")
    want = [
        {
            "id": f"trim-127.0.0.1-{grpc_port}",
            "address": f"127.0.0.1:{grpc_port}",
            "checks": ["passing: All service checks passing", "passing: All node checks passing"],
        }
        for grpc_port in (stack.ports.trim(i)[0] for i in range(1, stack.trims + 1))
    ]
    shown = browser.wait_for(
        INSTANCES_JS, until=lambda rows: sorted(rows, key=str) == want, timeout=20, what="every trim instance"
    )
    assert sorted(shown, key=str) == want
    screens.take(browser, "consul-trim-instances")


def _rates(stack: RunningStack, query: str, by: str) -> dict[str, float]:
    answer = httpx.get(f"{stack.prometheus_url}/api/v1/query", params={"query": query}, timeout=5).json()
    return {
        "/".join(r["metric"].get(k, "") for k in by.split(",")): float(r["value"][1]) for r in answer["data"]["result"]
    }


def _traffic_until_scraped(stack: RunningStack, *, timeout: float = 45.0) -> None:
    """Calls add (Sum, Concat: which calls every trim in turn) in bounded rounds until Prometheus has computed a
    non-zero rate for each method and each trim instance, which takes two scrapes (5 s apart) with calls between."""
    methods = {"add/Sum", "add/Concat", "trim/TrimSpace"}
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=stack.add_url, timeout=5) as client:
        while True:
            for i in range(2 * stack.trims):
                assert client.post("/sum", json={"a": i, "b": 1}).json() == {"v": i + 1}
                assert client.post("/concat", json={"a": f" {i} ", "b": "a b"}).json() == {"v": f"{i}ab"}
            served = _rates(stack, "sum by (service, method) (rate(kit_requests_total[1m]))", "service,method")
            per_trim = _rates(
                stack, 'sum by (endpoint) (rate(kit_client_requests_total{target="trim"}[1m]))', "endpoint"
            )
            if all(served.get(m, 0) > 0 for m in methods) and len(per_trim) == stack.trims and all(per_trim.values()):
                return
            assert time.monotonic() < deadline, f"no rates in Prometheus within {timeout}s: {served} {per_trim}"
            time.sleep(0.5)


PANELS_JS = """
Array.from(document.querySelectorAll('section.kit_panel')).map(s => ({
  id: s.id,
  title: s.querySelector('h2').textContent.trim(),
  rows: Array.from(s.querySelectorAll('tbody tr')).map(tr => tr.cells.length === 2
    ? [Array.from(tr.cells[0].querySelectorAll('.kit_label')).map(l => l.textContent).join(' '),
       tr.cells[1].innerText.trim()]
    : [tr.innerText.trim()]),
  lines: s.querySelectorAll('.kit_graph svg path').length,
}))
"""


def _number(text: str) -> float:
    match = re.match(r"[-+0-9.e]+", text)
    assert match, f"not a number: {text!r}"
    return float(match.group())


def test_dashboard_panels_hold_data(stack: RunningStack, browser: Browser, screens: Screens) -> None:
    _traffic_until_scraped(stack)
    expected = [(p["id"], p["title"]) for p in tomllib.loads(PANELS.read_text())["panels"]]
    # the last minute, so that the young stack's lines fill part of each graph instead of the last sliver of an hour
    browser.open(f"{stack.prometheus_url}/consoles/kit.html#pctc%7B%22duration%22%3A60%2C%22endTime%22%3A0%7D")
    panels: list[dict[str, Any]] = browser.wait_for(
        PANELS_JS, until=lambda ps: bool(ps) and all(p["lines"] for p in ps), timeout=20, what="every graph drawn"
    )
    assert [(p["id"], p["title"]) for p in panels] == expected
    for panel in panels:
        assert panel["rows"], panel["id"]
        assert all(len(row) == 2 for row in panel["rows"]), f"{panel['id']} says: {panel['rows']}"
    table = {p["id"]: {row[0]: row[1] for row in p["rows"]} for p in panels}

    for method in ('method="Sum" service="add"', 'method="Concat" service="add"', 'method="TrimSpace" service="trim"'):
        assert _number(table["request_rate"][method]) > 0, table["request_rate"]
    trims = {f'endpoint="127.0.0.1:{stack.ports.trim(i)[0]}"' for i in range(1, stack.trims + 1)}
    assert set(table["calls_per_trim_instance"]) == trims
    assert all(_number(v) > 0 for v in table["calls_per_trim_instance"].values())
    assert set(table["circuit_state"].values()) == {"closed"}
    assert [_number(v) for v in table["instances_known"].values()] == [stack.trims]
    assert set(table["targets_up"].values()) == {"up"}
    assert len(table["targets_up"]) == 1 + 1 + stack.trims  # prometheus, add, the trims
    assert all(_number(v) > 0 for v in table["add_business"].values()), table["add_business"]

    screens.take(browser, "dashboard-kit")
    screens.take(browser, "dashboard-kit-top", full_page=False)
