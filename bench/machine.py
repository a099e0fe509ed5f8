"""The machine a run was measured on, written beside its results."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

import grpc


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def describe(*, wrk: str, h2load: str, nginx: str, root: Path) -> dict[str, str | int | float]:
    """CPU model, cores, memory, kernel, Python, tool versions, the commit measured, and when."""
    mem_kb = next(
        (int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), 0
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "wrk": _version([wrk, "--version"]).split(" Copyright")[0],
        "h2load": _version([h2load, "--version"]),
        "nginx": _version([nginx, "-v"]),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[0],
        "commit": _version(["git", "-C", str(root), "rev-parse", "--short", "HEAD"]),
    }


__all__ = ["describe"]
