"""Turns the loads of a run into its results: medians per cell, kit/peer and kit/go-kit ratios, the targets
(bench.targets), memory."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.loadgen import Load
from bench.plan import Cell
from bench.procs import Usage
from bench.targets import ratio_of, targets


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


def ratios(cells: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """kit/peer over HTTP per method and connections: throughput, p50 and p99 (latency ratios < 1 favour the kit),
    and kit/go-kit throughput (None when go-kit's cell was not measured)."""
    by_key = {c["key"]: c for c in cells}
    out = []
    for method in ("sum", "concat"):
        for conns in (1, 64):
            kit, peer = by_key.get(f"kit/http/{method}/{conns}"), by_key.get(f"peer/http/{method}/{conns}")
            if kit is None or peer is None:
                continue
            gokit = by_key.get(f"gokit/http/{method}/{conns}")
            out.append(
                {
                    "method": method,
                    "conns": conns,
                    "rps": ratio_of(kit["rps"], peer["rps"]),
                    "p50": ratio_of(kit["p50_ms"], peer["p50_ms"]),
                    "p99": ratio_of(kit["p99_ms"], peer["p99_ms"]),
                    "rps_gokit": ratio_of(kit["rps"], gokit["rps"]) if gokit else None,
                }
            )
    return out


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


__all__ = ["Measured", "cell_summary", "memory", "ratios", "summarize"]
