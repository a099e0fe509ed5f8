"""`make chaos`: runs every scenario against the local stack `make up` started and prints one table.

The trims' PIDs and add's port come from the stack's state (`.run/state.json`, or STACK_RUN_DIR); a trim a
scenario killed is brought back with `make restart`, and so are add and a trim whose settings a scenario changes
(ADD_HEDGE, TRIM_DELAY). Latencies here are measurements, not pass/fail checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from deploy.chaos import overload
from deploy.chaos.scenarios import BODY, SCENARIOS, Outcome, Target, run, run_slow, table

ROOT = Path(__file__).resolve().parents[2]


def _state() -> dict[str, object]:
    run_dir = Path(os.environ.get("STACK_RUN_DIR", "").strip() or ROOT / ".run")
    path = run_dir / "state.json"
    if not path.exists():
        raise SystemExit(f"chaos: no local stack is running ({path} is missing): run `make up MODE=local` first")
    data: dict[str, object] = json.loads(path.read_text())
    return data


def _procs() -> list[dict[str, object]]:
    procs = _state().get("procs", [])
    assert isinstance(procs, list)
    return procs


def _trim_pids() -> list[int]:
    return [int(str(p["pid"])) for p in _procs() if str(p["name"]).startswith("trim")]


def _add_url() -> str:
    for proc in _procs():
        ports = proc.get("ports", {})
        if proc["name"] == "add" and isinstance(ports, dict):
            return f"http://127.0.0.1:{ports['http']}"
    raise SystemExit("chaos: the stack's state names no add process")


async def _restart(part: str | int, env: dict[str, str]) -> None:
    if isinstance(part, int):
        part = [str(p["name"]) for p in _procs() if str(p["name"]).startswith("trim")][part]
    stack = [sys.executable, str(ROOT / "deploy" / "local" / "stack.py"), "--mode", "local", "restart", part]
    await asyncio.to_thread(subprocess.run, stack, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **env})


async def main() -> None:
    target = Target(add_url=_add_url(), trim_pids=_trim_pids, restart=_restart)
    outcomes: list[Outcome] = []
    for scenario in SCENARIOS:
        print(f"chaos: {scenario.name} ...", file=sys.stderr, flush=True)
        outcomes.append(await run(scenario, target))
    for hedge in ("auto", "off"):
        print(f"chaos: one trim slowed to 200 ms, hedging {hedge} ...", file=sys.stderr, flush=True)
        outcomes.append(await run_slow(target, hedge))
    print("chaos: overload, 64 then 256 connections ...", file=sys.stderr, flush=True)
    overloaded = await overload.rows(target.add_url, BODY)
    print(table(outcomes, overloaded))


if __name__ == "__main__":
    asyncio.run(main())
