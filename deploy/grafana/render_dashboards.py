"""Turns `panels.toml` into the two dashboards that must show the same panels with the same queries: Grafana's
`dashboards/kit.json` (docker compose) and Prometheus' console template `../prometheus/consoles/kit.html` (the stack
without Docker, rendered with the helpers of `../prometheus/console_libraries/kit.lib`).

    python deploy/grafana/render_dashboards.py          # rewrite both files
    python deploy/grafana/render_dashboards.py --check  # exit 1 when a committed file is stale

Only the standard library is used (tomllib), so any Python 3.11 can run it.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "panels.toml"
GRAFANA_JSON = HERE / "dashboards" / "kit.json"
CONSOLE_HTML = HERE.parent / "prometheus" / "consoles" / "kit.html"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # provisioning/datasources/prometheus.yml sets this uid

UNITS: Mapping[str, str] = {
    "rate": "reqps",
    "ratio": "percentunit",
    "seconds": "s",
    "count": "short",
    "circuit": "none",
    "up": "none",
}
"""Panel unit -> Grafana unit; kit.lib's `kit_value` formats the same units for the console."""

STATES: Mapping[str, Sequence[tuple[str, str]]] = {
    "circuit": (("closed", "green"), ("half-open", "yellow"), ("open", "red")),
    "up": (("down", "red"), ("up", "green")),
}
"""Units whose values are states 0, 1, 2...: their names and colours, in value order."""


@dataclass(frozen=True)
class Panel:
    """One panel: a title, one PromQL query, how to name its series and how to format its values."""

    id: str
    title: str
    expr: str
    unit: str
    legend: tuple[str, ...]
    description: str = ""
    row: str = ""
    """Panels of one `row` (a service's own panels, say) share a line of the grid, starting on a fresh one."""


@dataclass(frozen=True)
class Dashboard:
    """The panels, in display order, and what both dashboards are called."""

    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]


def one_line(expr: str) -> str:
    """The query on one line, as both dashboards carry it (TOML's multi-line strings are for reading)."""
    return " ".join(line.strip() for line in expr.strip().splitlines() if line.strip())


def parse(text: str) -> Dashboard:
    """Reads and checks panels.toml's content; ValueError names what is wrong."""
    data = tomllib.loads(text)
    panels = []
    for raw in data.get("panels", []):
        panel = Panel(
            id=str(raw["id"]),
            title=str(raw["title"]),
            expr=one_line(str(raw["expr"])),
            unit=str(raw["unit"]),
            legend=tuple(str(label) for label in raw.get("legend", [])),
            description=str(raw.get("description", "")),
            row=str(raw.get("row", "")),
        )
        if panel.unit not in UNITS:
            raise ValueError(f"panel {panel.id}: unknown unit {panel.unit!r}, choose one of {sorted(UNITS)}")
        if "`" in panel.expr:
            raise ValueError(f"panel {panel.id}: the console template quotes queries with backticks")
        if not panel.id.isidentifier():
            raise ValueError(f"panel {panel.id!r}: ids are identifiers (they become HTML ids)")
        panels.append(panel)
    ids = [panel.id for panel in panels]
    if not panels or len(set(ids)) != len(ids):
        raise ValueError(f"panel ids must be present and unique, got {ids}")
    return Dashboard(str(data["uid"]), str(data["title"]), str(data.get("description", "")), tuple(panels))


def _field_config(panel: Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": UNITS[panel.unit], "min": 0}
    states = STATES.get(panel.unit)
    if states is None:
        defaults["custom"] = {"lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": False}
        defaults["color"] = {"mode": "palette-classic"}
    else:
        defaults["max"] = len(states) - 1
        defaults["color"] = {"mode": "thresholds"}
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [
                {"color": color, "value": None if value == 0 else value} for value, (_, color) in enumerate(states)
            ],
        }
        options = {
            str(value): {"text": name, "color": color, "index": value} for value, (name, color) in enumerate(states)
        }
        defaults["mappings"] = [{"type": "value", "options": options}]
    return {"defaults": defaults, "overrides": []}


def layout(panels: Sequence[Panel]) -> list[tuple[int, int]]:
    """Each panel's (x, y) on Grafana's 24-column grid: two 12-wide, 8-high panels per line, in order; a panel
    whose `row` differs from the one before it starts a fresh line."""
    places, x, y = [], 0, 0
    for number, panel in enumerate(panels):
        if number and panel.row != panels[number - 1].row and x:
            x, y = 0, y + 8
        places.append((x, y))
        x, y = (12, y) if x == 0 else (0, y + 8)
    return places


def grafana_panel(panel: Panel, number: int, place: tuple[int, int]) -> dict[str, Any]:
    """One Grafana panel at `place` (see `layout`): a time series, or a state timeline for state units."""
    legend = {"showLegend": True, "displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]}
    if panel.unit in STATES:
        kind, options = "state-timeline", {"mergeValues": True, "showValue": "auto", "rowHeight": 0.8, "legend": legend}
    else:
        kind, options = "timeseries", {"legend": legend, "tooltip": {"mode": "multi", "sort": "desc"}}
    return {
        "id": number + 1,
        "type": kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": place[0], "y": place[1]},
        "targets": [
            {
                "refId": "A",
                "datasource": DATASOURCE,
                "expr": panel.expr,
                "legendFormat": " ".join("{{" + label + "}}" for label in panel.legend),
                "range": True,
            }
        ],
        "fieldConfig": _field_config(panel),
        "options": options,
    }


def grafana_json(dashboard: Dashboard) -> str:
    """The Grafana dashboard as provisioned from dashboards/ (provisioning/dashboards/kit.yml)."""
    document = {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description + " Generated from deploy/grafana/panels.toml.",
        "tags": ["kit"],
        "editable": False,
        "graphTooltip": 1,
        "refresh": "10s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-15m", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "annotations": {"list": []},
        "templating": {"list": []},
        "links": [],
        "panels": [
            grafana_panel(panel, number, place)
            for number, (panel, place) in enumerate(zip(dashboard.panels, layout(dashboard.panels), strict=True))
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _go_string(text: str) -> str:
    """A Go template string literal (JSON's escapes are a subset of Go's)."""
    return json.dumps(text)


def console_html(dashboard: Dashboard) -> str:
    """The console template: one `kit_panel` call per panel, the query as a raw (backtick) Go string."""
    lines = [
        "{{/* GENERATED from deploy/grafana/panels.toml by deploy/grafana/render_dashboards.py: do not edit. */}}",
        f'{{{{ template "kit_head" (args . {_go_string(dashboard.title)}) }}}}',
        f"<h1>{html.escape(dashboard.title)}</h1>",
        f'<p class="lead">{html.escape(dashboard.description)}</p>',
        '{{ template "kit_timecontrol" }}',
    ]
    for panel in dashboard.panels:
        legend = " ".join("[[" + label + "]]" for label in panel.legend)
        arguments = " ".join(
            [
                _go_string(panel.id),
                _go_string(panel.title),
                f"`{panel.expr}`",
                _go_string(panel.unit),
                _go_string(legend),
            ]
        )
        lines.append(f'{{{{ template "kit_panel" (args {arguments}) }}}}')
    lines.append('{{ template "kit_tail" . }}')
    return "\n".join(lines) + "\n"


OUTPUTS: Mapping[Path, Callable[[Dashboard], str]] = {GRAFANA_JSON: grafana_json, CONSOLE_HTML: console_html}
"""Every file rendered from panels.toml, and how."""


def stale(dashboard: Dashboard) -> list[Path]:
    """The committed outputs whose content differs from a fresh render."""
    return [path for path, render in OUTPUTS.items() if not path.exists() or path.read_text() != render(dashboard)]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description="Render the dashboards from panels.toml.")
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    args = parser.parse_args(argv)
    dashboard = parse(SOURCE.read_text())
    if args.check:
        outdated = stale(dashboard)
        for path in outdated:
            print(f"stale: {path} (run python {Path(__file__).name})", file=sys.stderr)
        return 1 if outdated else 0
    for path, render in OUTPUTS.items():
        path.write_text(render(dashboard))
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
