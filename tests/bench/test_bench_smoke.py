"""`python -m bench.run --smoke` against the real processes: every cell measured, ratios and targets computed,
everything stopped. Benchmarks are not tests: nothing here asserts a speed, nor that a cell got answers within its
one second on a busy machine (the harness itself waits, bounded, until every stack answers before measuring)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.stack import RUNTIME_PYTHON

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    *(
        f"{stack}/http/{method}/{conns}"
        for stack in ("kit", "peer", "gokit")
        for method in ("sum", "concat")
        for conns in (1, 64)
    ),
    *(f"kit/grpc/{method}/{conns}" for method in ("sum", "concat") for conns in (1, 64)),
    "nginx/http/sum/1",
    "nginx/http/sum/64",
    "uvicorn/http/sum/1",
    "uvicorn/http/sum/64",
    "grpc-fixed/grpc/sum/1",
    "grpc-fixed/grpc/sum/64",
    "kit/grpc/sum/64/grpc.aio",
    "kit/grpc/concat/64/grpc.aio",
    "grpc-fixed/grpc/sum/64/grpc.aio",
]
PROCESSES = [
    *("consul", "trim-1", "trim-2", "add", "peer-trim-1", "peer-trim-2", "peer"),
    *("gokit-trim-1", "gokit-trim-2", "gokit-add", "nginx", "uvicorn-fixed", "grpc-fixed"),
]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """Runs the harness once for the whole module; its results.json and the folder it wrote to."""
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((out / "results.json").read_text()), out


@pytest.mark.integration
@pytest.mark.timeout(660)
@pytest.mark.parametrize("key", CELLS)
def test_bench_smoke_cell_is_measured(smoke: tuple[dict[str, Any], Path], key: str) -> None:
    cells = {c["key"]: c for c in smoke[0]["cells"]}
    assert key in cells
    cell = cells[key]
    assert cell["requests"] >= 0
    assert cell["rps"] >= 0
    assert cell["p99_ms"] >= cell["p50_ms"] >= 0
    assert cell["errors"] == sum(cell["error_kinds"].values())


@pytest.mark.integration
@pytest.mark.timeout(660)
def test_bench_smoke_ratios_are_computed(smoke: tuple[dict[str, Any], Path]) -> None:
    ratios = smoke[0]["ratios"]
    assert [(r["method"], r["conns"]) for r in ratios] == [("sum", 1), ("sum", 64), ("concat", 1), ("concat", 64)]
    for r in ratios:
        assert all(r[k] is None or r[k] >= 0 for k in ("rps", "p50", "p99", "rps_gokit"))
    issues = [t["issue"] for t in smoke[0]["targets"]]
    assert issues.count(16) == 7


@pytest.mark.integration
@pytest.mark.timeout(660)
def test_bench_smoke_services_run_on_the_runtime_only_install(smoke: tuple[dict[str, Any], Path]) -> None:
    assert smoke[0]["settings"]["python"] == str(RUNTIME_PYTHON)
    assert not (RUNTIME_PYTHON.parent / "pytest").exists()


@pytest.mark.integration
@pytest.mark.timeout(660)
def test_bench_smoke_reads_memory_then_stops_every_process(smoke: tuple[dict[str, Any], Path]) -> None:
    memory = smoke[0]["memory"]
    assert sorted(memory) == sorted(PROCESSES)
    for entry in memory.values():
        assert entry["rss_mb"] > 0
        with pytest.raises(ProcessLookupError):
            os.kill(int(entry["pid"]), 0)


@pytest.mark.integration
@pytest.mark.timeout(660)
def test_bench_smoke_writes_the_page_and_machine(smoke: tuple[dict[str, Any], Path]) -> None:
    results, out = smoke
    assert {"cpu", "cores", "kernel", "python", "date"} <= results["machine"].keys()
    page = (out / "results.md").read_text()
    assert "Smoke run" in page
    assert "| kit (add) | http | concat | 64 |" in page
    assert "## kit / go-kit and kit / peer" in page
    assert "| go-kit (Go) | http | concat | 64 |" in page
