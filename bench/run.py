"""`python -m bench.run`: the benchmark harness behind `make bench` (and, with --smoke, its check in `make test`).

Starts Consul, two trims and add (the kit), the FastAPI peer and its two trims, go-kit's add and two trims (Go),
a fixed-reply nginx, uvicorn and grpc.aio server, all on free ports of 127.0.0.1; warms each up; measures every
cell of bench.plan (`--repeat` times, interleaved, `--duration` seconds each); reads every process's RSS; stops
everything by PID; prints the targets and the table and writes results.json, results.md and chart.png to `--out`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bench import chart, render
from bench.h2load import run_h2load
from bench.loadgen import TIMEOUT_SECONDS, Load, run_grpc, run_wrk
from bench.machine import describe
from bench.plan import GRPC_PATHS, GRPC_REPLIES, GRPC_REQUESTS, HTTP_BODIES, Cell, cells, warmups
from bench.procs import machine_busy_seconds
from bench.stack import ROOT, Running, find_tool, python, running
from bench.summary import Measured, summarize


@dataclass(frozen=True, slots=True)
class Tools:
    """Where the load generators and nginx are."""

    wrk: str
    h2load: str
    nginx: str


def load(run: Running, cell: Cell, *, duration: int, tools: Tools) -> Load:
    """Puts one cell's load on its stack."""
    method = cell.method
    if cell.client == "wrk":
        path = "/" if cell.stack == "nginx" else f"/{method}"
        return run_wrk(tools.wrk, run.http[cell.stack] + path, HTTP_BODIES[method], conns=cell.conns, duration=duration)
    request, reply = GRPC_REQUESTS[method], GRPC_REPLIES[method]
    if cell.client == "h2load":
        url = f"http://{run.grpc[cell.stack]}{GRPC_PATHS[method]}"
        return run_h2load(tools.h2load, url, request, reply, conns=cell.conns, duration=duration)
    return run_grpc(run.grpc[cell.stack], GRPC_PATHS[method], request, reply, conns=cell.conns, duration=duration)


def _own_cpu() -> float:
    """CPU seconds of the harness and of its finished children (the load generators)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def measure(run: Running, cell: Cell, *, duration: int, tools: Tools) -> Measured:
    """One load on one cell, with the CPU every process of that stack used meanwhile (% of one core), and the CPU
    that programs outside this run used on the machine meanwhile (other sessions' work skews the numbers)."""
    before = {p.name: p.usage().cpu_seconds for p in run.procs}
    machine0, own0, wall0 = machine_busy_seconds(), _own_cpu(), time.monotonic()
    result = load(run, cell, duration=duration, tools=tools)
    after = {p.name: p.usage().cpu_seconds for p in run.procs}
    machine, own, wall = machine_busy_seconds() - machine0, _own_cpu() - own0, time.monotonic() - wall0
    run.check_alive()
    seconds = result.seconds or float(duration)
    cpu = {p.name: 100 * (after[p.name] - before[p.name]) / seconds for p in run.members[cell.stack]}
    ours = own + sum(after[name] - before[name] for name in after)
    return Measured(cell, result, cpu, other_cpu_pct=max(0.0, 100 * (machine - ours) / wall))


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="1 s per cell, once: proves the harness works")
    parser.add_argument("--duration", type=int, default=3, help="seconds per cell (whole seconds, wrk's unit)")
    parser.add_argument("--repeat", type=int, default=3, help="times every cell is measured; medians are reported")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load per stack and method before measuring")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="where results go")
    parser.add_argument("--no-chart", action="store_true", help="skip chart.png (draw it later with bench.chart)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (path is printed)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.repeat, args.warmup = 1, 1, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not (args.smoke or args.no_chart or chart.available()):
        print(
            "bench: matplotlib is not installed, so chart.png cannot be drawn; add it or pass --no-chart",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    tools = Tools(wrk=find_tool("wrk"), h2load=find_tool("h2load"), nginx=find_tool("nginx"))
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    plan = cells()
    measured: list[Measured] = []
    try:
        with running(logs) as run:
            print(f"bench: every process is up ({time.monotonic() - started:.0f} s); warming up", file=sys.stderr)
            for cell in warmups():
                load(run, cell, duration=args.warmup, tools=tools)
            for r in range(args.repeat):
                for cell in plan:
                    m = measure(run, cell, duration=args.duration, tools=tools)
                    measured.append(m)
                    print(
                        f"bench: [{r + 1}/{args.repeat}] {cell.key}: {m.load.rps:,.0f} req/s, "
                        f"p50 {m.load.p50_ms:.2f} ms, p99 {m.load.p99_ms:.2f} ms, "
                        f"{m.load.error_count} errors",
                        file=sys.stderr,
                    )
            usage = run.usage()
    except BaseException:
        print(f"bench: failed; the processes' logs are in {logs}", file=sys.stderr)
        raise
    settings = {
        "smoke": args.smoke,
        "duration_s": args.duration,
        "repeat": args.repeat,
        "warmup_s": args.warmup,
        "timeout_s": TIMEOUT_SECONDS,
        "wrk_threads": 1,
        "h2load": "1 thread; 1 connection x 1 stream, or 4 connections x 16 streams",
        "grpc_aio_channels": "min(conns, 4)",
        "python": python(),
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    results = summarize(
        measured,
        usage,
        machine=describe(wrk=tools.wrk, h2load=tools.h2load, nginx=tools.nginx, root=ROOT),
        settings=settings,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    page = render.markdown(results)
    (args.out / "results.md").write_text(page)
    if not args.no_chart and chart.available():
        chart.draw(results, args.out / "chart.png")
    print(page)
    print(f"bench: wrote {args.out} in {settings['elapsed_s']} s", file=sys.stderr)
    if args.keep_logs:
        print(f"bench: the processes' logs are in {logs}", file=sys.stderr)
    else:
        shutil.rmtree(logs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
