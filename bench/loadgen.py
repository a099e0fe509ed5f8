"""Runs one load: Debian's wrk for HTTP, bench.grpc_load for gRPC; both report through one `Load`."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("post.lua")
TIMEOUT_SECONDS = 2
"""A request unanswered after this long counts as a timeout error (wrk's --timeout; the gRPC deadline)."""


@dataclass(frozen=True, slots=True)
class Load:
    """What one load measured: good answers, failures by kind, latency of the answered requests, and the CPU
    seconds the load generator itself used (to show whether it, and not the server, was the limit)."""

    requests: int
    seconds: float
    errors: Mapping[str, int]
    p50_ms: float
    p99_ms: float
    generator_cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(wrk: str, url: str, body: str, *, conns: int, duration: int) -> Load:
    """One wrk thread, `conns` keep-alive connections, POSTing `body` for `duration` whole seconds.

    Good answers are wrk's completed requests less its non-2xx/3xx ones; errors are non-2xx answers plus socket
    connect/read/write errors and timeouts. The generator's CPU is wrk's, read from the harness's child rusage.
    """
    argv = [wrk, "-t1", f"-c{conns}", f"-d{duration}s", f"--timeout={TIMEOUT_SECONDS}s", "-s", str(LUA_SCRIPT)]
    cpu0 = _children_cpu()
    done = subprocess.run([*argv, url, "--", body], capture_output=True, text=True, timeout=duration + 30)
    cpu = _children_cpu() - cpu0
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    s = json.loads(line.removeprefix("WRKJSON "))
    errors = {
        "status": s["status"],
        "connect": s["connect"],
        "read": s["read"],
        "write": s["write"],
        "timeout": s["timeout"],
    }
    return Load(
        requests=s["requests"] - s["status"],
        seconds=s["duration_us"] / 1e6,
        errors={kind: n for kind, n in errors.items() if n},
        p50_ms=s["p50_us"] / 1e3,
        p99_ms=s["p99_us"] / 1e3,
        generator_cpu_seconds=cpu,
    )


def run_grpc(target: str, path: str, request: bytes, expect: bytes, *, conns: int, duration: int) -> Load:
    """`conns` calls in flight over up to 4 channels, via `python -m bench.grpc_load` in its own process."""
    argv = [
        sys.executable,
        "-m",
        "bench.grpc_load",
        f"--target={target}",
        f"--path={path}",
        f"--request-hex={request.hex()}",
        f"--expect-hex={expect.hex()}",
        f"--concurrency={conns}",
        f"--channels={min(conns, 4)}",
        f"--duration={duration}",
        f"--timeout={TIMEOUT_SECONDS}",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, cwd=Path(__file__).parent.parent)
    if done.returncode != 0:
        raise RuntimeError(f"bench.grpc_load failed ({done.returncode}): {done.stderr}")
    s = json.loads(done.stdout)
    errors: dict[str, int] = s["errors"]
    return Load(
        requests=s["answered"] - errors.get("WRONG_REPLY", 0),
        seconds=s["seconds"],
        errors=errors,
        p50_ms=s["p50_ms"],
        p99_ms=s["p99_ms"],
        generator_cpu_seconds=s["cpu_seconds"],
    )


__all__ = ["LUA_SCRIPT", "TIMEOUT_SECONDS", "Load", "run_grpc", "run_wrk"]
