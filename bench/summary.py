"""Turns the loads of a run into its results: medians per cell, kit/peer ratios, the issue's targets, memory."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.loadgen import Load
from bench.plan import Cell
from bench.procs import Usage

SERVICE_PROCESSES = ("add", "trim-1", "trim-2")
"""The kit's service processes, each of which must stay under RSS_LIMIT_MB."""
RSS_LIMIT_MB = 80.0


@dataclass(frozen=True, slots=True)
class Measured:
    """One load on one cell, with the CPU (% of one core) each process of the measured stack used meanwhile, and
    what programs outside the run used on the machine meanwhile."""

    cell: Cell
    load: Load
    cpu_pct: Mapping[str, float]
    other_cpu_pct: float = 0.0


def _median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3) if values else 0.0


def cell_summary(cell: Cell, loads: Sequence[Measured]) -> dict[str, Any]:
    """The medians of a cell's repeats (requests/s, p50, p99, CPU) and its errors summed over every repeat."""
    kinds: Counter[str] = Counter()
    for m in loads:
        kinds.update(m.load.errors)
    names = sorted({name for m in loads for name in m.cpu_pct})
    return {
        "key": cell.key,
        "stack": cell.stack,
        "transport": cell.transport,
        "method": cell.method,
        "conns": cell.conns,
        "client": cell.client,
        "rps": round(_median([m.load.rps for m in loads]), 1),
        "p50_ms": _median([m.load.p50_ms for m in loads]),
        "p99_ms": _median([m.load.p99_ms for m in loads]),
        "requests": sum(m.load.requests for m in loads),
        "errors": sum(kinds.values()),
        "error_kinds": dict(kinds),
        "generator_cpu_pct": round(
            _median([100 * m.load.generator_cpu_seconds / m.load.seconds for m in loads if m.load.seconds]), 1
        ),
        "other_cpu_pct": round(_median([m.other_cpu_pct for m in loads]), 1),
        "cpu_pct": {name: round(_median([m.cpu_pct.get(name, 0.0) for m in loads]), 1) for name in names},
        "runs": [
            {"rps": round(m.load.rps, 1), "p50_ms": m.load.p50_ms, "p99_ms": m.load.p99_ms, "errors": m.load.errors}
            for m in loads
        ],
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def ratios(cells: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """kit/peer over HTTP per method and connections: throughput, p50 and p99 (latency ratios < 1 favour the kit)."""
    by_key = {c["key"]: c for c in cells}
    out = []
    for method in ("sum", "concat"):
        for conns in (1, 64):
            kit, peer = by_key.get(f"kit/http/{method}/{conns}"), by_key.get(f"peer/http/{method}/{conns}")
            if kit is None or peer is None:
                continue
            out.append(
                {
                    "method": method,
                    "conns": conns,
                    "rps": _ratio(kit["rps"], peer["rps"]),
                    "p50": _ratio(kit["p50_ms"], peer["p50_ms"]),
                    "p99": _ratio(kit["p99_ms"], peer["p99_ms"]),
                }
            )
    return out


def _target(name: str, value: float | None, bound: float, *, above: bool, unit: str = "") -> dict[str, Any]:
    met = value is not None and (value >= bound if above else value < bound)
    if value is None:
        detail = "not measured"
    elif met:
        detail = f"{value:g}{unit}"
    else:
        gap = abs(value - bound) / bound * 100 if bound else 0.0
        detail = f"{value:g}{unit}, {'short of' if above else 'over'} {bound:g}{unit} by {gap:.0f}%"
    return {"target": name, "value": value, "met": met, "detail": detail}


def targets(cells: Sequence[Mapping[str, Any]], memory: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and by how much it is missed."""
    c = {x["key"]: x for x in cells}

    def get(key: str, field: str) -> float | None:
        return c[key][field] if key in c else None

    def ratio(a: str, b: str, field: str) -> float | None:
        x, y = get(a, field), get(b, field)
        return _ratio(x, y) if x is not None and y is not None else None

    service_rss = [memory[name]["rss_mb"] for name in SERVICE_PROCESSES if name in memory]
    concat_errors = get("kit/http/concat/64", "errors")
    return [
        _target(
            "/sum 64 conns: kit/peer req/s >= 1.0", ratio("kit/http/sum/64", "peer/http/sum/64", "rps"), 1.0, above=True
        ),
        _target(
            "/sum 64 conns: kit p99 no worse than peer's (ratio <= 1.0)",
            ratio("kit/http/sum/64", "peer/http/sum/64", "p99_ms"),
            1.0 + 1e-9,
            above=False,
        ),
        _target(
            "/concat 64 conns: kit/peer req/s >= 10",
            ratio("kit/http/concat/64", "peer/http/concat/64", "rps"),
            10.0,
            above=True,
        ),
        _target("/concat 64 conns: no kit errors", concat_errors, 1.0, above=False, unit=" errors"),
        _target(
            "/concat 64 conns: kit p99 < 50 ms", get("kit/http/concat/64", "p99_ms"), 50.0, above=False, unit=" ms"
        ),
        _target("/concat 1 conn: kit p50 < 1.5 ms", get("kit/http/concat/1", "p50_ms"), 1.5, above=False, unit=" ms"),
        _target(
            "gRPC Sum faster than HTTP /sum, 64 conns (req/s ratio > 1)",
            ratio("kit/grpc/sum/64", "kit/http/sum/64", "rps"),
            1.0 + 1e-9,
            above=True,
        ),
        _target(
            "gRPC Sum faster than HTTP /sum, 1 conn (p50 ratio < 1)",
            ratio("kit/grpc/sum/1", "kit/http/sum/1", "p50_ms"),
            1.0,
            above=False,
        ),
        _target(
            f"every kit service process < {RSS_LIMIT_MB:g} MB RSS",
            max(service_rss) if service_rss else None,
            RSS_LIMIT_MB,
            above=False,
            unit=" MB",
        ),
    ]


def memory(usage: Mapping[str, Usage]) -> dict[str, dict[str, float]]:
    """RSS now and at its peak, in MB, and the PID, per process."""
    return {
        name: {"pid": u.pid, "rss_mb": round(u.rss_kb / 1024, 1), "peak_mb": round(u.hwm_kb / 1024, 1)}
        for name, u in usage.items()
    }


def summarize(
    measured: Sequence[Measured],
    usage: Mapping[str, Usage],
    *,
    machine: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The whole result of a run, as written to results.json."""
    order: dict[Cell, list[Measured]] = {}
    for m in measured:
        order.setdefault(m.cell, []).append(m)
    cells = [cell_summary(cell, loads) for cell, loads in order.items()]
    mem = memory(usage)
    return {
        "machine": dict(machine),
        "settings": dict(settings),
        "cells": cells,
        "ratios": ratios(cells),
        "targets": targets(cells, mem),
        "memory": mem,
    }


__all__ = ["RSS_LIMIT_MB", "SERVICE_PROCESSES", "Measured", "cell_summary", "memory", "ratios", "summarize", "targets"]
