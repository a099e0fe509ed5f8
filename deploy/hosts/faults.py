"""The faults that only several hosts show, each made under load on a running bed, with its figures.

    trim-cut      trim1's host cut off (its bridge port down) for HOLD_CUT seconds, then restored
    trim-netem    200 ms of delay and 5 % loss on what trim1's host sends, for HOLD_NETEM seconds
    leader-cut    the Consul leader's host cut off; once a new leader is elected a new trim registers, then the
                  old leader's host comes back
    agent-stop    add's local Consul agent stopped for HOLD_AGENT seconds, then started again on its data

Every fault is undone in a `finally`, so a failed run leaves the bed as it found it. The load runs inside host
`load`; this module itself only changes links and processes and never sends traffic to the bed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from deploy.local.kitstack.tools import Tools

from . import net, plan
from .bed import Bed, BedError
from .figures import answered_again, figures, first_seen, set_size, stopped_answering, table
from .topology import CONSUL_SERVER_RPC, Host, servers, trim_grpc, with_role
from .underload import RATE, Result, read_run, under_load

SETTLE = 4.0  # seconds of plain load before each fault
AFTER = 8.0  # seconds of load once the fault is undone and the bed has recovered (a breaker resets in 5)
HOLD_CUT = 12.0
HOLD_NETEM = 12.0
HOLD_AGENT = 8.0
NETEM = net.Netem(delay_ms=200, loss_pct=5)
RECOVERY_TIMEOUT = 60.0
REGISTRATION_TIMEOUT = 150.0
"""How long a trim registered under a new leader may take to reach add's agent. A client agent whose server was the
cut leader fails its registration RPC only when yamux's keepalive gives up (~35 s, seen in CI) and syncs again at its
next anti-entropy run (at least a minute in Consul 1.8): about 100 s, against 15-37 s when its server was another."""


def _trims_at_agent(count: int) -> Callable[[Mapping[str, Any]], bool]:
    return lambda o: isinstance(o.get("trims"), list) and len(o["trims"]) == count


def _circuit_open(instance: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda o: (o.get("circuit") or {}).get(instance) == 2


def trim_cut(bed: Bed) -> Result:
    """trim1's host cut off, then restored."""
    host = with_role("trim", bed.hosts)[0]
    instance = trim_grpc(host)
    with under_load(bed, "trim-cut") as marks:
        time.sleep(SETTLE)
        marks.mark("fault")
        try:
            net.cut(host)
            time.sleep(HOLD_CUT)
        finally:
            net.restore(host)
            marks.mark("restore")
        bed.wait([f"--passing={bed.add.consul}/trim/2"], timeout=RECOVERY_TIMEOUT)
        marks.mark("recovered")
        time.sleep(AFTER)
    run = read_run(bed, "trim-cut", marks)
    on, off = marks["fault"], marks["restore"]
    times = {
        "last_answer": stopped_answering(run, instance, on, off),
        "circuit_open": first_seen(run, on, _circuit_open(instance)),
        "consul_marks_it_down": first_seen(run, on, _trims_at_agent(1)),
        "out_of_add_set": first_seen(run, on, lambda o: set_size(o) == 1),
        "consul_marks_it_up": first_seen(run, off, _trims_at_agent(2)),
        "answers_again": answered_again(run, instance, off),
    }
    return Result(figures("trim host cut off", run, times, load1=os.getloadavg()[0]), run)


def trim_netem(bed: Bed) -> Result:
    """200 ms delay and 5 % loss on trim1's link, then removed."""
    host = with_role("trim", bed.hosts)[0]
    instance = trim_grpc(host)
    emulator = plan.link_emulator(Tools.find(bed.root), host, NETEM)
    with under_load(bed, "trim-netem") as marks:
        time.sleep(SETTLE)
        marks.mark("fault")
        try:
            net.detour(host)
            bed.start(emulator)
            time.sleep(HOLD_NETEM)
        finally:
            with contextlib.suppress(BedError):
                bed.stop(emulator.name)
            net.undetour(host)
            marks.mark("restore")
            marks.mark("recovered")
        time.sleep(AFTER)
    run = read_run(bed, "trim-netem", marks)
    on, off = marks["fault"], marks["restore"]
    times = {
        "circuit_open": first_seen(run, on, lambda o: o["t"] < off and _circuit_open(instance)(o)),
        "consul_marks_it_down": first_seen(run, on, lambda o: o["t"] < off and _trims_at_agent(1)(o)),
        "answers_again": answered_again(run, instance, off),
    }
    return Result(
        figures(f"trim link {NETEM.delay_ms} ms + {NETEM.loss_pct:g} % loss", run, times, load1=os.getloadavg()[0]), run
    )


def _new_leader(bed: Bed, old: Host, *, timeout: float) -> None:
    """Waits until a server still reachable knows a leader other than `old` (one process polling inside the bed:
    a process per poll would take the CPU the services being measured need)."""
    asked = next(h for h in servers(bed.hosts) if h.name != old.name)
    bed.wait([f"--new-leader={asked.consul}/{old.address}:{CONSUL_SERVER_RPC}"], timeout=timeout)


def leader_cut(bed: Bed) -> Result:
    """The Consul leader's host cut off; a new trim registers under the new leader; the old host comes back."""
    tools = Tools.find(bed.root)
    trim2 = with_role("trim", bed.hosts)[1]
    extra = plan.trim(tools, trim2, bed.env, extra=True)
    with under_load(bed, "leader-cut") as marks:
        time.sleep(SETTLE)
        old = bed.leader()
        if old is None:
            raise BedError("the Consul cluster has no leader before the fault")
        marks.mark("fault")
        try:
            net.cut(old)
            _new_leader(bed, old, timeout=RECOVERY_TIMEOUT)
            marks.mark("new_leader")
            bed.start(extra)
            marks.mark("register")
            bed.wait([f"--passing={bed.add.consul}/trim/3"], timeout=REGISTRATION_TIMEOUT)
            time.sleep(2.0)  # for add's counters to show the new trim in use
        finally:
            with contextlib.suppress(BedError):
                bed.stop(extra.name)
            net.restore(old)
            marks.mark("restore")
        bed.wait([f"--leader={old.consul}", f"--passing={bed.add.consul}/trim/2"], timeout=RECOVERY_TIMEOUT)
        marks.mark("rejoined")
        marks.mark("recovered")
        time.sleep(AFTER)
    run = read_run(bed, "leader-cut", marks)
    on = marks["fault"]
    times = {
        "new_leader": marks["new_leader"] - on,
        "new_trim_at_agent": first_seen(run, marks["register"], _trims_at_agent(3)),
        "new_trim_answers": answered_again(run, trim_grpc(trim2, extra=True), marks["register"]),
        "old_leader_rejoined": marks["rejoined"] - marks["restore"],
    }
    return Result(figures(f"Consul leader's host ({old.name}) cut off", run, times, load1=os.getloadavg()[0]), run)


def agent_stop(bed: Bed) -> Result:
    """add's local Consul agent stopped, then started again on its data."""
    tools = Tools.find(bed.root)
    spec = plan.consul(tools, bed.add, bed.run_dir / "data" / "consul", bed.hosts)
    with under_load(bed, "agent-stop") as marks:
        time.sleep(SETTLE)
        marks.mark("fault")
        try:
            bed.stop(spec.name)
            time.sleep(HOLD_AGENT)
        finally:
            if not bed.running(spec.name):
                bed.start(spec)
            marks.mark("restore")
        bed.wait([f"--passing={bed.add.consul}/add/1", f"--passing={bed.add.consul}/trim/2"], timeout=RECOVERY_TIMEOUT)
        marks.mark("recovered")
        time.sleep(AFTER)
    run = read_run(bed, "agent-stop", marks)
    off = marks["restore"]
    times = {
        "agent_answers_again": first_seen(run, off, lambda o: o.get("trims") is not None),
        "add_registered_again": first_seen(run, off, lambda o: (o.get("adds") or 0) >= 1),
    }
    return Result(figures("add's local Consul agent stopped", run, times, load1=os.getloadavg()[0]), run)


FAULTS: Mapping[str, Callable[[Bed], Result]] = {
    "trim-cut": trim_cut,
    "trim-netem": trim_netem,
    "leader-cut": leader_cut,
    "agent-stop": agent_stop,
}


def run_and_report(bed: Bed, names: Sequence[str], *, out: Path | None = None) -> int:
    """Runs the named faults (all by default) on a running bed, prints the table and writes it with the JSON."""
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise BedError(f"unknown fault {', '.join(unknown)}; the faults are {', '.join(FAULTS)}")
    results = []
    for name in names or list(FAULTS):
        print(f"fault {name} under {RATE:g} requests/s ...", file=sys.stderr)
        results.append(FAULTS[name](bed).figures)
    text = table(results)
    print(text)
    out = out or bed.run_dir / "figures"
    out.with_suffix(".md").write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps([f.as_row() for f in results], indent=1))
    return 0


__all__ = [
    "FAULTS",
    "NETEM",
    "Result",
    "agent_stop",
    "leader_cut",
    "run_and_report",
    "trim_cut",
    "trim_netem",
    "under_load",
]
