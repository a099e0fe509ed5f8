"""The stack's lifecycle as Compose has it, driven through `make` as a person would: `make up` on a healthy stack
changes nothing and says so; with parts killed it starts just those; `make restart PART=...` replaces a part;
a part started again by hand is named, never touched; `make down` stops everything the state records."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from e2e import e2e_stack

from deploy.local.kitstack.ports import Ports, busy
from deploy.local.kitstack.procs import is_ours, listeners
from deploy.local.kitstack.state import Proc, RunDir, State

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = e2e_stack.stack_env(tmp_path / "run", trims=2)
    env["STACK_LOG_MAX_BYTES"] = "4000"  # small enough that Consul's start alone rotates its log
    yield env
    if RunDir(tmp_path / "run").state_path.exists():
        e2e_stack.make(env, "down", timeout=60)


def _make(env: dict[str, str], *target: str) -> str:
    done = e2e_stack.make(env, *target)
    assert done.returncode == 0, f"make {' '.join(target)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _state(env: dict[str, str]) -> dict[str, Proc]:
    state = RunDir(Path(env["STACK_RUN_DIR"])).load()
    assert state is not None
    return {p.name: p for p in state.procs}


def _concat(env: dict[str, str]) -> object:
    url = f"http://127.0.0.1:{Ports.from_env(env).add_http}/concat"
    return httpx.post(url, json={"a": "1 0 1", "b": "2"}, timeout=5).json()


def test_up_heals_restart_replaces_and_down_stops_what_the_state_records(env: dict[str, str]) -> None:
    _make(env, "up")
    first = _state(env)
    logs = Path(env["STACK_RUN_DIR"]) / "logs"
    assert (logs / "consul.log.1").exists()
    assert all(p.stat().st_size <= 4000 for p in logs.iterdir())
    shown = _make(env, "logs")
    assert all(f"==> {logs / name}.log <==" in shown for name in first)
    consul = _make(env, "logs", "PART=consul")
    assert "[INFO]" in consul
    assert "[DEBUG]" not in consul
    assert "==> " + str(logs / "add.log") not in consul
    assert "nothing to do" in _make(env, "up")
    assert _state(env) == first

    for name in ("consul", "trim-2"):
        os.kill(first[name].pid, signal.SIGKILL)
    healed = _make(env, "up")
    assert "starting what is gone: consul, trim-2" in healed
    assert "the stack is up" in healed
    second = _state(env)
    assert [second[n].pid == first[n].pid for n in ("consul", "prometheus", "trim-1", "trim-2", "add")] == [
        False, True, True, False, True,
    ]  # fmt: skip
    assert _concat(env) == {"v": "1012"}  # add found the trims again in the restarted Consul

    restarted = _make(env, "restart", "PART=add")
    assert "restarted add" in restarted
    third = _state(env)
    assert third["add"].pid != second["add"].pid
    assert not is_ours(second["add"])
    assert _concat(env) == {"v": "1012"}

    # trim-1 dies and a person starts one by hand on its ports: `up` names it and starts nothing
    os.kill(third["trim-1"].pid, signal.SIGKILL)
    _wait_for(lambda: not is_ours(third["trim-1"]), "the killed trim-1 to be gone")
    grpc_port, http_port = Ports.from_env(env).trim(1)
    by_hand_env = {**env, "TRIM_GRPC_PORT": str(grpc_port), "TRIM_HTTP_PORT": str(http_port), "TRIM_REGISTER": "false"}
    by_hand_log = Path(env["STACK_RUN_DIR"]) / "by-hand.log"
    with by_hand_log.open("wb") as out:
        by_hand = subprocess.Popen([sys.executable, "-m", "trimsvc"], env=by_hand_env, stdout=out, stderr=out)
    try:
        _wait_for(
            lambda: by_hand.poll() is not None or listeners(http_port) == [by_hand.pid],
            f"the hand-started trim on {http_port}",
        )
        assert by_hand.poll() is None, by_hand_log.read_text()
        refused = e2e_stack.make(env, "up")
        assert refused.returncode != 0, refused.stdout + "\n---\n" + refused.stderr
        assert f"held by pid {by_hand.pid}" in refused.stderr

        down = _make(env, "down")
        assert "the stack is down" in down
        assert f"held by pid {by_hand.pid}" in down  # named, left alone
        assert by_hand.poll() is None
        recorded = State(0, 2, Ports.from_env(env), tuple(third.values()))
        assert [p.name for p in recorded.procs if is_ours(p)] == []
    finally:
        by_hand.terminate()
        by_hand.wait(timeout=15)
    assert busy(Ports.from_env(env).listening(2)) == ()


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 120  # a bound for a busy machine: a service's imports alone took 7 s at load 20
    while not condition():
        assert time.monotonic() < deadline, f"waited 120s for {what}"
        time.sleep(0.2)
