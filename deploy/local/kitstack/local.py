"""The stack as local processes: `up`, `down`, `ps` and `logs` over the run folder's state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import plan, probes, procs, prometheus
from .ports import Ports, busy, describe_busy
from .state import Proc, RunDir, State
from .summary import Addresses, summary
from .tools import Tools
from .wait import ProgressLine, WaitFailed, wait_until

MAX_TRIMS = 10


class StackError(RuntimeError):
    """`up` or `down` cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Options:
    """How the local stack runs: the repository, the run folder, ports, trims and time bounds."""

    root: Path
    run_dir: RunDir
    ports: Ports
    trims: int = 2
    up_timeout: float = 60.0
    stop_timeout: float = 15.0
    env: Mapping[str, str] | None = None


def running(state: State | None) -> list[Proc]:
    """The recorded processes that are still alive and still ours."""
    return [] if state is None else [p for p in state.procs if procs.is_ours(p)]


def up(opts: Options, *, out: TextIO | None = None) -> None:
    """Starts the stack and waits until it is healthy; on any failure stops what it started and raises."""
    out = sys.stdout if out is None else out
    if not 1 <= opts.trims <= MAX_TRIMS:
        raise StackError(f"TRIM={opts.trims}: want 1 to {MAX_TRIMS} trim instances")
    env = dict(os.environ if opts.env is None else opts.env)
    with opts.run_dir.lock():
        previous = opts.run_dir.load()
        alive = running(previous)
        if alive:
            names = ", ".join(f"{p.name} (pid {p.pid})" for p in alive)
            raise StackError(f"the stack already runs: {names}.\n`make ps` shows it, `make down` stops it.")
        if previous is not None:
            print("note: found the state of a stack that is no longer running; starting afresh", file=out)
            opts.run_dir.clear()
        taken = busy(opts.ports.listening(opts.trims))
        if taken:
            raise StackError(describe_busy(taken))
        tools = Tools.find(opts.root)
        _start(opts, tools, env, out)


def _start(opts: Options, tools: Tools, env: dict[str, str], out: TextIO) -> None:
    run = opts.run_dir
    for old in run.logs.glob("*.log") if run.logs.is_dir() else ():
        old.unlink()
    try:
        files = prometheus.render(
            opts.root,
            run.path / "prometheus",
            consul=f"{plan.HOST}:{opts.ports.consul_http}",
            prometheus=f"{plan.HOST}:{opts.ports.prometheus}",
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError(f"cannot write the Prometheus configuration: {exc}") from None
    state = State(time.time(), opts.trims, opts.ports)
    popens: dict[str, subprocess.Popen[bytes]] = {}
    progress = ProgressLine(out)

    def start(spec: plan.Spec) -> None:
        nonlocal state
        record, popen = procs.spawn(
            spec.name,
            spec.argv,
            env=spec.env or env,
            log=run.logs / f"{spec.name}.log",
            cwd=opts.root,
            ports=spec.ports,
            health=spec.health,
        )
        popens[spec.name] = popen
        state = state.with_proc(record)
        run.save(state)

    def exited() -> str | None:
        return next((name for name, p in popens.items() if p.poll() is not None), None)

    started = time.monotonic()
    try:
        consul = plan.consul(tools, opts.ports)
        print(f"starting the stack (local processes, {opts.trims} trims); logs in {run.logs}", file=out)
        start(consul)
        # services register at start: give them a Consul that answers
        wait_until(plan.checks([consul], opts.ports, 0)[:1], timeout=opts.up_timeout, exited=exited)
        data = run.path / "prometheus" / "data"
        specs = (plan.prometheus(tools, opts.ports, files, data), *plan.services(tools, opts.ports, opts.trims, env))
        for spec in specs:
            start(spec)
        remaining = max(1.0, opts.up_timeout - (time.monotonic() - started))
        checks = plan.checks([consul, *specs], opts.ports, opts.trims)
        wait_until(checks, timeout=remaining, exited=exited, progress=progress)
    except (WaitFailed, KeyboardInterrupt, OSError) as exc:
        progress.end()
        part = exc.part if isinstance(exc, WaitFailed) else None
        _rollback(state, run, opts.stop_timeout, out)
        raise StackError(_failure(exc, part, run)) from None
    elapsed = time.monotonic() - started
    print(summary(Addresses.local(opts.ports), trims=opts.trims, seconds=elapsed, mode="local"), file=out)


def _rollback(state: State, run: RunDir, timeout: float, out: TextIO) -> None:
    print("stopping what was started ...", file=out)
    procs.stop(list(reversed(state.procs)), timeout=timeout)
    run.clear()


def _failure(exc: BaseException, part: str | None, run: RunDir) -> str:
    reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
    if part is None:
        return f"the stack did not come up: {reason}"
    log = run.logs / f"{part}.log"
    return f"the stack did not come up: {reason}\n--- last lines of {log} ---\n{procs.tail(log, 30)}"


def down(opts: Options, *, out: TextIO | None = None) -> None:
    """Stops exactly the processes `up` recorded (services first, so they deregister while Consul still runs),
    then checks that none of the stack's ports is still held, and removes the state."""
    out = sys.stdout if out is None else out
    with opts.run_dir.lock():
        state = opts.run_dir.load()
        if state is None:
            print(f"the stack is not running (no state in {opts.run_dir.path})", file=out)
            return
        services = [p for p in state.procs if p.name not in ("consul", "prometheus")]
        infra = [p for p in state.procs if p.name in ("consul", "prometheus")]
        results = procs.stop(services, timeout=opts.stop_timeout)
        results += procs.stop(list(reversed(infra)), timeout=opts.stop_timeout)
        for r in results:
            print(f"{r.name:<11} pid {r.pid:<8} {r.outcome}", file=out)
        left = _wait_ports_free(state, timeout=5.0)
        opts.run_dir.clear()
        if left:
            raise StackError(f"stopped, but something still listens on: {', '.join(map(str, left))}")
        print("the stack is down", file=out)


def _wait_ports_free(state: State, *, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    ports = state.ports.listening(state.trims)
    while True:
        left = [p.number for p in busy(ports)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)


def ps(opts: Options, *, out: TextIO | None = None) -> bool:
    """Prints each part's pid, whether it is alive, its ports and health; returns whether a stack is recorded."""
    out = sys.stdout if out is None else out
    state = opts.run_dir.load()
    if state is None:
        print(f"the stack is not running (no state in {opts.run_dir.path})", file=out)
        return False
    print(f"{'PART':<11} {'PID':<8} {'ALIVE':<6} {'PORTS':<22} HEALTH", file=out)
    for p in state.procs:
        alive = procs.is_ours(p)
        ports = " ".join(f"{k}:{v}" for k, v in p.ports.items())
        health = _health(p) if alive else "-"
        print(f"{p.name:<11} {p.pid:<8} {'yes' if alive else 'NO':<6} {ports:<22} {health}", file=out)
    return True


def _health(p: Proc) -> str:
    if p.name == "consul":
        return "leader elected" if probes.consul_leader(p.health.split("/")[2]) else "no leader"
    code = probes.status(p.health)
    return "ok" if code == 200 else ("no answer" if code == 0 else f"HTTP {code}")


def logs(opts: Options, parts: Sequence[str], *, lines: int = 40, out: TextIO | None = None) -> None:
    """Prints the tail of every part's log, or of the named parts only."""
    out = sys.stdout if out is None else out
    found = sorted(opts.run_dir.logs.glob("*.log")) if opts.run_dir.logs.is_dir() else []
    if parts:
        known = {f.stem for f in found}
        unknown = [p for p in parts if p not in known]
        if unknown:
            raise StackError(f"no log for {', '.join(unknown)}; there are: {', '.join(sorted(known)) or 'none'}")
        found = [f for f in found if f.stem in parts]
    if not found:
        print(f"no logs in {opts.run_dir.logs}", file=out)
    for f in found:
        print(f"==> {f} <==\n{procs.tail(f, lines)}\n", file=out)


__all__ = ["MAX_TRIMS", "Options", "StackError", "down", "logs", "ps", "running", "up"]
