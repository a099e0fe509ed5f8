"""Draws a run's results as a PNG: requests/s and p99 latency, kit vs peer, per method and connection count.

matplotlib is imported when a chart is drawn, not before, so the rest of the harness runs without it; the module
can also redraw a chart from a results.json: `python -m bench.chart bench/results/results.json out.png`.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SERIES = (
    ("kit", "http", "kit HTTP", "#1f77b4"),
    ("peer", "http", "peer HTTP", "#ff7f0e"),
    ("kit", "grpc", "kit gRPC", "#2ca02c"),
)
GROUPS = (("sum", 1), ("sum", 64), ("concat", 1), ("concat", 64))


def available() -> bool:
    """Whether matplotlib can be imported here."""
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        return False
    return True


def draw(results: Mapping[str, Any], path: Path) -> None:
    """Writes the chart of `results` (the dict of results.json) to `path`."""
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    ticker = importlib.import_module("matplotlib.ticker")
    cells = {c["key"]: c for c in results["cells"]}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    width = 0.27
    for ax, field, title in (
        (axes[0], "rps", "requests/s (log scale, higher is better)"),
        (axes[1], "p99_ms", "p99 latency, ms (log scale, lower is better)"),
    ):
        for i, (stack, transport, label, color) in enumerate(SERIES):
            xs, ys = [], []
            for g, (method, conns) in enumerate(GROUPS):
                cell = cells.get(f"{stack}/{transport}/{method}/{conns}")
                if cell is not None and cell[field] > 0:
                    xs.append(g + (i - 1) * width)
                    ys.append(cell[field])
            bars = ax.bar(xs, ys, width, label=label, color=color)
            ax.bar_label(bars, labels=[f"{y:,.0f}" if y >= 10 else f"{y:.2g}" for y in ys], fontsize=7, padding=1)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xticks(range(len(GROUPS)), [f"{m}\n{c} conn{'s' if c > 1 else ''}" for m, c in GROUPS])
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right")
    m = results["machine"]
    fig.suptitle(f"add: kit vs bare FastAPI+httpx peer — {m['cpu']}, {m['cores']} cores, {m['date'][:10]}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m bench.chart RESULTS_JSON OUT_PNG")
    draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))


if __name__ == "__main__":
    main()
