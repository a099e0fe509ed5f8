"""`ps` and `logs` of the local stack: what the state records, asked of the processes and their log files."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from . import probes, procs
from .launch import Options, StackError
from .state import Proc


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


__all__ = ["logs", "ps"]
