"""A swarm node drained under load: `docker node update --availability drain` on an engine that runs a trim, while
the callers' host sends add a steady `POST /concat` load (deploy.hosts.load, open loop, every answer checked) and
watches Consul and add's own set of trims. Swarm stops the node's trim (SIGTERM: it deregisters from Consul and
finishes what it holds within its stop grace) and starts a replacement on another node, which registers its own
overlay address in Consul; add follows Consul. The figures: requests, failed, p50/p99, and the seconds until
the task had moved, the old trim had left Consul, the replacement passed there and add's set was whole again.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deploy.hosts.figures import Run, percentile_ms
from deploy.local.kitstack.tools import Tools

from . import nodes
from .cluster import PORTS, Swarm, SwarmError
from .nodes import EDGE, ENGINES, LOAD


def _first(observations: Sequence[Mapping[str, Any]], after: float, test: Any) -> float | None:
    """Seconds after `after` of the first observation at or after it that passes `test`."""
    for o in observations:
        if o["t"] >= after and test(o):
            return round(float(o["t"]) - after, 1)
    return None


def figures(document: Mapping[str, Any], marks: Mapping[str, float], before: Sequence[str],
            after: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    """The drain's figures from the load's document (deploy.hosts.load), the instants in `marks` (epoch
    seconds: "drain" and "moved") and the trims' addresses in Consul before and after."""
    run = Run.from_json(document, marks)
    latencies = run.latencies()
    gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    drain, obs = marks["drain"], run.observations
    failed = run.failed()
    return {
        "requests": len(run.requests),
        "failed": len(failed),
        "failed_statuses": sorted({r[2] for r in failed}),
        "failed_at_s": [round(r[0] - drain, 1) for r in failed],  # when each failed request started, from the drain
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "p99_ms_during": percentile_ms(run.latencies(drain, marks["moved"] + 5), 99),
        "task_moved_s": round(marks["moved"] - drain, 1),
        "old_out_of_consul_s": _first(obs, drain, lambda o: o["trims"] is not None and not set(gone) & set(o["trims"])),
        "new_passing_in_consul_s": _first(obs, drain, lambda o: o["trims"] is not None and set(new) <= set(o["trims"])),
        "add_set_whole_s": _first(
            obs, drain, lambda o: o["trims"] is not None and set(new) <= set(o["trims"]) and o["set"] == len(after)
        ),
        "trims_before": list(before),
        "trims_after": list(after),
    }


def _consul_trims(swarm: Swarm) -> list[str]:
    python = str(Tools.find(swarm.root).python)
    url = f"http://{EDGE.address}:{PORTS['STACK_CONSUL_PORT']}/v1/health/service/trim?passing=1"
    out = nodes.run(nodes.nsenter(LOAD, [python, "-m", "deploy.hosts.inside", "get", url]), timeout=60)
    found = json.loads(out)
    return sorted(f"{e['Service']['Address']}:{e['Service']['Port']}" for e in found or [])


def drain_under_load(
    swarm: Swarm, *, rate: float = 10.0, settle: float = 5.0, timeout: float = 180.0
) -> dict[str, Any]:
    """Drains a worker engine that runs a trim while add is under load; makes it active again; returns the
    figures (see `figures`) with the node drained."""
    ids = swarm.node_ids()
    tasks = swarm.tasks(ids=ids)
    wanted = len(tasks)
    victim = next((n for n in reversed(ENGINES[1:]) if any(t["node"] == n.name for t in tasks)), None)
    if victim is None:
        raise SwarmError(f"no worker engine runs a trim: {tasks}")
    before = _consul_trims(swarm)
    if len(before) != wanted:
        raise SwarmError(f"before the drain Consul has {before}, want {wanted} trims")
    out = swarm.run_dir / "drain-load.json"
    ready = out.with_suffix(".ready")
    for stale in (out, ready):
        stale.unlink(missing_ok=True)
    python = str(Tools.find(swarm.root).python)
    argv = [python, "-m", "deploy.hosts.load", "--add", f"http://{EDGE.address}:{PORTS['STACK_ADD_HTTP_PORT']}",
            "--agent", f"{EDGE.address}:{PORTS['STACK_CONSUL_PORT']}", "--rate", str(rate), "--timeout", "15",
            "--every", "0.5", "--max-duration", str(timeout + 120), "--out", str(out)]  # fmt: skip
    log = (swarm.run_dir / "drain-load.log").open("w")
    load = subprocess.Popen(nodes.nsenter(LOAD, argv), cwd=swarm.root, stdout=log, stderr=subprocess.STDOUT)
    node_id = ids[victim.name]
    marks: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if load.poll() is not None or time.monotonic() > deadline:
                raise SwarmError("the load never got an answer from add")
            time.sleep(0.1)
        time.sleep(settle)
        marks["drain"] = time.time()
        swarm.say(f"draining {victim.name} under {rate:g} requests/s")
        swarm.docker(EDGE, "node", "update", "--availability", "drain", node_id)
        deadline = time.monotonic() + timeout
        while True:
            now = swarm.tasks(ids=ids)
            running = [t for t in now if t["state"].startswith("Running")]
            if len(running) == wanted and not any(t["node"] == victim.name for t in now):
                marks["moved"] = time.time()
                break
            if time.monotonic() > deadline:
                raise SwarmError(f"the trims did not move off {victim.name} within {timeout:.0f} s: {now}")
            time.sleep(0.5)
        swarm.wait([f"--passing={EDGE.address}:{PORTS['STACK_CONSUL_PORT']}/trim/{wanted}"], timeout=timeout)
        after = _consul_trims(swarm)
        time.sleep(settle)
    finally:
        load.send_signal(signal.SIGTERM)
        try:
            load.wait(timeout=60)
        finally:
            log.close()
            swarm.docker(EDGE, "node", "update", "--availability", "active", node_id)
    document = json.loads(Path(out).read_text())
    result = {"drained": victim.name, "rate": rate, **figures(document, marks, before, after)}
    (swarm.run_dir / "drain-figures.json").write_text(json.dumps(result, indent=1))
    return result


__all__ = ["drain_under_load", "figures"]
