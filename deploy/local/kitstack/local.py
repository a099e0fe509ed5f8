"""The stack as local processes, with Compose's lifecycle: `up` on a healthy stack does nothing and says so, `up`
with parts gone starts just those, `restart` replaces the named parts, and `down` stops every process the state
records (the state is updated at each start, so a restarted part is stopped too). `ps` and `logs` are in
status.py."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from . import procs
from .launch import MAX_TRIMS, Launch, Options, StackError, extra_services, specs
from .ports import Port, busy, describe_busy
from .state import Proc, State
from .status import logs, ps
from .summary import Addresses, summary
from .tools import Tools
from .wait import WaitFailed

INFRA = ("consul", "prometheus")


def running(state: State | None) -> list[Proc]:
    """The recorded processes that are still alive and still ours."""
    return [] if state is None else [p for p in state.procs if procs.is_ours(p)]


def up(opts: Options, *, out: TextIO | None = None) -> None:
    """Starts the stack and waits until it is healthy. With a recorded stack of which some parts still run, starts
    only the parts that are gone; with every part running, checks health and changes nothing."""
    out = sys.stdout if out is None else out
    if not 1 <= opts.trims <= MAX_TRIMS:
        raise StackError(f"TRIM={opts.trims}: want 1 to {MAX_TRIMS} trim instances")
    with opts.run_dir.lock():
        previous = opts.run_dir.load()
        alive = running(previous)
        if previous is not None and alive:
            _heal(opts, previous, alive, out)
            return
        if previous is not None:
            print("note: found the state of a stack that is no longer running; starting afresh", file=out)
            opts.run_dir.clear()
        _fresh(opts, out)


def _fresh(opts: Options, out: TextIO) -> None:
    taken = busy(_every_port(opts))
    if taken:
        raise StackError(describe_busy(taken, holder=procs.holder))
    everything = specs(opts, Tools.find(opts.root), opts.trims)
    for old in opts.run_dir.logs.glob("*.log*") if opts.run_dir.logs.is_dir() else ():
        old.unlink()
    print(f"starting the stack (local processes, {opts.trims} trims); logs in {opts.run_dir.logs}", file=out)
    launch = Launch(opts, State(time.time(), opts.trims, opts.ports), out)
    try:
        launch.run(everything, [s.name for s in everything])
    except StackError:
        opts.run_dir.clear()
        raise
    print(summary(Addresses.local(opts.ports), trims=opts.trims, seconds=launch.elapsed, mode="local"), file=out)


def _heal(opts: Options, state: State, alive: Sequence[Proc], out: TextIO) -> None:
    if opts.trims != state.trims or opts.ports != state.ports:
        print(f"note: the stack runs with {state.trims} trims on its recorded ports; `make down` to change", file=out)
    opts = dataclasses.replace(opts, ports=state.ports, trims=state.trims)
    everything = specs(opts, Tools.find(opts.root), state.trims)
    running_names = {p.name for p in alive}
    missing = [s.name for s in everything if s.name not in running_names]
    launch = Launch(opts, state, out)
    if not missing:
        try:
            launch.wait(everything)
        except WaitFailed as exc:
            raise StackError(
                f"every part runs, but the stack is not healthy: {exc}\n"
                f"`make logs PART={exc.part}` shows why; `make restart PART={exc.part}` restarts it"
            ) from None
        print("the stack already runs and is healthy: nothing to do (`make ps` shows it)", file=out)
        return
    _refuse_held(opts, missing)
    print(f"starting what is gone: {', '.join(missing)} (still running: {', '.join(sorted(running_names))})", file=out)
    launch.run(everything, missing)
    print(summary(Addresses.local(opts.ports), trims=state.trims, seconds=launch.elapsed, mode="local"), file=out)


def restart(opts: Options, parts: Sequence[str], *, out: TextIO | None = None) -> None:
    """Stops the named parts (when they still run) and starts them again, then waits until the stack is healthy."""
    out = sys.stdout if out is None else out
    with opts.run_dir.lock():
        state = opts.run_dir.load()
        if state is None:
            raise StackError(f"the stack is not running (no state in {opts.run_dir.path}): `make up` starts it")
        opts = dataclasses.replace(opts, ports=state.ports, trims=state.trims)
        everything = specs(opts, Tools.find(opts.root), state.trims)
        names = [s.name for s in everything]
        unknown = [p for p in parts if p not in names]
        if not parts or unknown:
            raise StackError(f"name the parts to restart (PART=...): {', '.join(names)}")
        print(f"restarting {', '.join(parts)}", file=out)
        procs.stop([p for p in state.procs if p.name in parts], timeout=opts.stop_timeout)
        _wait_free(_ports_of(opts, parts), timeout=5.0)
        _refuse_held(opts, parts)
        launch = Launch(opts, state, out)
        launch.run(everything, parts)
        print(f"restarted {', '.join(parts)}; the stack is healthy after {launch.elapsed:.1f}s", file=out)


def _ports_of(opts: Options, parts: Sequence[str]) -> tuple[Port, ...]:
    """The ports the named parts listen on (a Port's `what` starts with its part's name, Consul's with 'Consul')."""
    every = _every_port(opts)
    prefixes = tuple({"consul": "Consul ", "prometheus": "Prometheus"}.get(p, f"{p} ") for p in parts)
    return tuple(port for port in every if port.what.startswith(prefixes))


def _every_port(opts: Options) -> tuple[Port, ...]:
    """The ports of add, the trims, Consul and Prometheus, and of every extra service."""
    return (*opts.ports.listening(opts.trims), *(p for ext in extra_services(opts) for p in ext.ports()))


def _refuse_held(opts: Options, parts: Sequence[str]) -> None:
    """StackError naming the holder when a port of a part about to start is held by a process `up` did not start
    (a part started again by hand, say)."""
    taken = busy(_ports_of(opts, parts))
    if taken:
        holders = [f"  {p.number} ({p.what}): held by {procs.holder(p.number)}" for p in taken]
        raise StackError(
            "cannot start the missing parts: their ports are held by processes `make up` did not start\n"
            + "\n".join(holders)
            + "\nstop those, then `make up` again"
        )


def down(opts: Options, *, out: TextIO | None = None) -> None:
    """Stops every process the state records (services first, so they deregister while Consul still runs), then
    names any port of the stack that a process it did not start still holds, and removes the state."""
    out = sys.stdout if out is None else out
    with opts.run_dir.lock():
        state = opts.run_dir.load()
        if state is None:
            print(f"the stack is not running (no state in {opts.run_dir.path})", file=out)
            return
        services = [p for p in state.procs if p.name not in INFRA]
        infra = [p for p in state.procs if p.name in INFRA]
        results = procs.stop(services, timeout=opts.stop_timeout)
        results += procs.stop(list(reversed(infra)), timeout=opts.stop_timeout)
        for r in results:
            print(f"{r.name:<11} pid {r.pid:<8} {r.outcome}", file=out)
        left = _wait_free(state.ports.listening(state.trims), timeout=5.0)
        opts.run_dir.clear()
        print("the stack is down", file=out)
        for port in left:
            holder = procs.holder(port.number)
            print(
                f"note: {port.number} ({port.what}) is held by {holder}, not started by `make up`: left alone", file=out
            )


def _wait_free(ports: Sequence[Port], *, timeout: float) -> tuple[Port, ...]:
    deadline = time.monotonic() + timeout
    while True:
        left = busy(ports)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)


__all__ = ["MAX_TRIMS", "Options", "StackError", "down", "logs", "ps", "restart", "running", "up"]
