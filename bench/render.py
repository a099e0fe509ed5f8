"""Writes a run's results as the Markdown page (and console table) people read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.findings import PROFILES, finding

_LABELS = {
    "kit": "kit (add)",
    "peer": "peer (FastAPI+httpx)",
    "gokit": "go-kit (Go)",
    "nginx": "nginx, fixed reply",
    "uvicorn": "uvicorn, fixed reply",
    "grpc-fixed": "grpc.aio, fixed reply",
}


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], *, right: int = 0) -> list[str]:
    """A Markdown table; the last `right` columns are right-aligned."""
    align = ["---"] * (len(head) - right) + ["---:"] * right
    return [_row(head), _row(align), *(_row(r) for r in rows)]


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _cpu(cell: Mapping[str, Any]) -> str:
    """CPU of the measured stack's processes in % of one core, the front process first."""
    return ", ".join(f"{name} {pct:.0f}" for name, pct in cell["cpu_pct"].items() if pct >= 1) or "-"


def results_table(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    head = [
        "stack",
        "transport",
        "method",
        "conns",
        "load gen",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "load gen CPU %",
        "server CPU % (per process)",
        "other CPU %",
    ]
    rows = [
        [
            _LABELS.get(c["stack"], c["stack"]),
            c["transport"],
            c["method"],
            c["conns"],
            c["client"],
            _num(c["rps"], 0),
            _num(c["p50_ms"]),
            _num(c["p99_ms"]),
            c["errors"],
            f"{c['generator_cpu_pct']:.0f}",
            _cpu(c),
            f"{c['other_cpu_pct']:.0f}",
        ]
        for c in cells
    ]
    return _table(head, rows, right=7)


def ratios_table(ratios: Sequence[Mapping[str, Any]]) -> list[str]:
    head = ["HTTP method", "conns", "req/s kit/go-kit", "req/s kit/peer", "p50 kit/peer", "p99 kit/peer"]
    rows = [
        [f"/{r['method']}", r["conns"], _num(r.get("rps_gokit")), _num(r["rps"]), _num(r["p50"]), _num(r["p99"])]
        for r in ratios
    ]
    return _table(head, rows, right=4)


def targets_table(targets: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [[t["issue"], t["target"], t["detail"], "met" if t["met"] else "**missed**"] for t in targets]
    return _table(["issue", "target", "measured", ""], rows)


BUSY_OTHER_CPU_PCT = 50.0
"""Median CPU (% of one core) that programs outside the run used during its cells, above which the page warns that
its ratios are not to be trusted: the stacks were starved in turns, not measured side by side."""


def busy_warning(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """A warning when other work shared the machine during the run (see BUSY_OTHER_CPU_PCT)."""
    other = sorted(c["other_cpu_pct"] for c in cells)
    if not other or other[len(other) // 2] <= BUSY_OTHER_CPU_PCT:
        return []
    return [
        f"**Warning: other programs used a median {other[len(other) // 2]:.0f}% of a core during this run's cells "
        f"(above {BUSY_OTHER_CPU_PCT:.0f}%): each stack got what the machine left it, unevenly, so the figures "
        "and the targets' verdicts below are not to be trusted. Rerun on a quiet machine; the instruction counts "
        "of the profiles do not depend on it.**",
        "",
    ]


def missed_findings(targets: Sequence[Mapping[str, Any]]) -> list[str]:
    """For each missed target of issue 16, where the time goes and what would have to change (bench.findings)."""
    lines = []
    for t in targets:
        text = finding(t["target"])
        if not t["met"] and t["value"] is not None and text is not None:
            lines.append(f"- **{t['target']}** ({t['detail']}): {text}")
    if lines:
        lines[:0] = [f"Where the time goes for each missed target (profiles and how to repeat them: {PROFILES}):", ""]
    return lines


def memory_table(memory: Mapping[str, Mapping[str, float]]) -> list[str]:
    rows = [[name, _num(m["rss_mb"], 1), _num(m["peak_mb"], 1)] for name, m in memory.items()]
    return _table(["process", "RSS MB after the run", "peak RSS MB"], rows, right=2)


def generator_check(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """Sentences comparing, per load generator, the fastest kit/peer cell with the fixed-reply baseline."""
    lines = []
    for client, baseline in (("wrk", "nginx"), ("h2load", "grpc-fixed"), ("grpc.aio", "grpc-fixed")):
        base = next((c for c in cells if c["stack"] == baseline and c["conns"] == 64 and c["client"] == client), None)
        real = [c for c in cells if c["client"] == client and c["stack"] in ("kit", "peer", "gokit")]
        if base is None or not real:
            continue
        best = max(real, key=lambda c: c["rps"])
        lines.append(
            f"- {client} against {_LABELS[baseline]} at 64 connections: {base['rps']:,.0f} req/s "
            f"(load generator at {base['generator_cpu_pct']:.0f}% of a core). The fastest cell it drove here, "
            f"{best['key']}, reached {best['rps']:,.0f} req/s = {100 * best['rps'] / base['rps']:.0f}% of that, "
            f"with the load generator at {best['generator_cpu_pct']:.0f}% of a core."
        )
    return lines


def markdown(results: Mapping[str, Any]) -> str:
    """The full results page."""
    m, s = results["machine"], results["settings"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Linux {m['kernel']}, "
        f"Python {m['python']}, grpcio {m['grpcio']}, {m['wrk']}, {m['h2load']}, {m['nginx']}, commit {m['commit']}. "
        f"Load generator and every server share the same cores, on 127.0.0.1. Load average at the start: "
        f"{m['loadavg_at_start']}; the last column, other CPU %, is what programs outside this run used meanwhile "
        "(% of one core): where it is high, another workload shared the machine.",
        "",
        f"Each cell ran {s['duration_s']} s, {s['repeat']} times (interleaved); the table shows medians of the "
        f"repeats and errors summed over them (non-2xx, socket errors, timeouts after {s['timeout_s']} s; gRPC: "
        f"any status but OK, or a wrong reply). req/s counts good answers only. HTTP load comes from wrk (1 thread, "
        "keep-alive connections), gRPC load from h2load (1 thread; 64 calls in flight = 4 connections x 16 "
        "streams) and, as a cross-check, from bench.grpc_load (grpc.aio, Python). The kit is add with its default "
        "configuration (Consul discovery of two trims, round robin, retry, every middleware on); the peer is "
        "bench/peer (bare FastAPI, httpx to two trims over HTTP, round robin over a fixed list); go-kit is "
        "bench/gokit (Go, go-kit 0.10 from Debian: HTTP transport, gRPC client to two trims over a fixed "
        "endpointer, round robin, retry, a JSON request line per call). Every Python server runs on the "
        "runtime-only install (.tools/runtime, `uv sync --no-dev`).",
        "",
        "![requests/s and p99, kit vs peer](chart.png)",
        "",
        "## Targets",
        "",
        *busy_warning(results["cells"]),
        *targets_table(results["targets"]),
        "",
        *missed_findings(results["targets"]),
        "",
        "## Results",
        "",
        *results_table(results["cells"]),
        "",
        "## kit / go-kit and kit / peer",
        "",
        *ratios_table(results["ratios"]),
        "",
        "## Memory of every process after the run",
        "",
        *memory_table(results["memory"]),
        "",
        "## Is the load generator the bottleneck?",
        "",
        *generator_check(results["cells"]),
        "",
    ]
    if s.get("smoke"):
        lines[1:1] = ["", "**Smoke run** (about a second per cell): proves the harness works; the numbers mean little."]
    return "\n".join(lines)


__all__ = ["markdown", "memory_table", "ratios_table", "results_table", "targets_table"]
