"""The two dashboard forms: Grafana's JSON and Prometheus' console template show the same panels with the same
queries, both are fresh renders of panels.toml, and Grafana's provisioning points at them."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deploy.grafana import render_dashboards
from deploy.grafana.render_dashboards import SOURCE, parse
from integration.prometheus_server import (
    GRAFANA_DASHBOARDS,
    console_panels,
    console_queries,
    dashboard_queries,
    grafana_queries,
)

GRAFANA = GRAFANA_DASHBOARDS.parent
CONTRACT_METRICS = (
    "kit_requests_total",
    "kit_request_duration_seconds_bucket",
    "kit_requests_in_flight",
    "kit_client_requests_total",
    "kit_retries_total",
    "kit_ratelimit_rejected_total",
    "kit_circuit_state",
    "kit_sd_instances",
    "add_integers_summed_total",
    "add_characters_concatenated_total",
)


def grafana_panels() -> list[dict[str, Any]]:
    document = json.loads((GRAFANA_DASHBOARDS / "kit.json").read_text())
    assert isinstance(document, dict)
    panels = document["panels"]
    assert isinstance(panels, list)
    return panels


def test_committed_dashboards_are_fresh_renders_of_panels_toml() -> None:
    assert render_dashboards.stale(parse(SOURCE.read_text())) == [], "run: python deploy/grafana/render_dashboards.py"


def test_a_changed_panel_makes_both_outputs_stale() -> None:
    dashboard = parse(SOURCE.read_text())
    changed = replace(dashboard, panels=(replace(dashboard.panels[0], expr="sum(up)"), *dashboard.panels[1:]))
    assert render_dashboards.stale(changed) == list(render_dashboards.OUTPUTS)


def test_every_grafana_panel_has_a_prometheus_query() -> None:
    panels = grafana_panels()
    assert len(panels) == len(parse(SOURCE.read_text()).panels) >= 9
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"]["uid"] == "prometheus"


def test_both_forms_run_the_same_queries_in_the_same_order() -> None:
    assert grafana_queries() == console_queries()
    assert dashboard_queries() == grafana_queries()  # no query only one form has


def test_both_forms_show_the_same_titles() -> None:
    assert [panel["title"] for panel in grafana_panels()] == [title for title, _ in console_panels()]


@pytest.mark.parametrize("metric", CONTRACT_METRICS)
def test_every_contract_metric_is_on_the_dashboards(metric: str) -> None:
    assert any(metric in expr for expr in dashboard_queries())


@pytest.mark.parametrize(
    ("title", "pattern"),
    [
        (
            "Calls per trim instance",
            r"^sum by \(endpoint\) \(rate\(kit_client_requests_total\{target=\"trim\"\}\[1m\]\)\)$",
        ),
        ("Latency p50 per service and method", r"^histogram_quantile\(0\.5, sum by \(service, method, le\) \(rate\("),
        ("Latency p99 per service and method", r"^histogram_quantile\(0\.99, sum by \(service, method, le\) \(rate\("),
        (
            "Error ratio per service and method",
            r"outcome!~\"ok\|business\|invalid_argument\|too_large\|rate_limited\|overloaded\"",
        ),
        ("Shed requests per service and method", r"rate\(kit_shed_total\[1m\]\)"),
    ],
)
def test_key_panels_ask_what_they_say(title: str, pattern: str) -> None:
    exprs = dict(console_panels())
    assert re.search(pattern, exprs[title]), exprs[title]


def test_console_extraction_refuses_a_query_outside_a_panel(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text('{{ range query "up" }}{{ . }}{{ end }}')
    with pytest.raises(ValueError, match="kit_panel"):
        console_queries(tmp_path)


def test_console_extraction_reads_panel_calls(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text('{{ template "kit_panel" (args "a" "A title" `sum(up{job="x"})` "count" "") }}')
    assert console_panels(tmp_path) == [("A title", 'sum(up{job="x"})')]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('unit = "rate"', 'unit = "furlongs"'), "unknown unit"),
        (('id = "retries"', 'id = "request_rate"'), "unique"),
        (('id = "retries"', 'id = "re-tries"'), "identifiers"),
        (("(kit_retries_total[1m])", "(kit_retries_total[`1m`])"), "backticks"),
    ],
)
def test_panels_toml_mistakes_are_caught(change: tuple[str, str], message: str) -> None:
    text = SOURCE.read_text()
    assert change[0] in text
    with pytest.raises(ValueError, match=message):
        parse(text.replace(change[0], change[1], 1))


def test_multi_line_queries_become_one_line() -> None:
    assert render_dashboards.one_line("\n  a\n   or b  \n\n / c\n") == "a or b / c"


def test_state_panels_map_values_to_names() -> None:
    circuit = next(panel for panel in grafana_panels() if panel["title"] == "Circuit state per endpoint")
    assert circuit["type"] == "state-timeline"
    names = {key: value["text"] for key, value in circuit["fieldConfig"]["defaults"]["mappings"][0]["options"].items()}
    assert names == {"0": "closed", "1": "half-open", "2": "open"}


def test_grafana_provisioning_points_at_prometheus_and_the_dashboards() -> None:
    datasource = (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert re.search(r"^\s+url: http://prometheus:9090$", datasource, flags=re.MULTILINE)
    assert re.search(r"^\s+uid: prometheus$", datasource, flags=re.MULTILINE)
    provider = (GRAFANA / "provisioning" / "dashboards" / "kit.yml").read_text()
    assert re.search(r"^\s+path: /var/lib/grafana/dashboards$", provider, flags=re.MULTILINE)
