"""`stack.py up` for real: Consul, Prometheus, three trims and add as local processes on ports far from the
defaults (so a stack a person runs is never touched), called over HTTP and gRPC, checked in Consul and
Prometheus, then `down`, after which no recorded process is alive and no port is held."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import grpc
import httpx
import pytest
from e2e import e2e_stack

from addsvc.pb import add_pb2, add_pb2_grpc
from deploy.local.kitstack.ports import Ports, busy
from deploy.local.kitstack.procs import is_ours
from deploy.local.kitstack.state import RunDir, State

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

TRIMS = 3


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The launcher's environment for a test stack; whatever it leaves running is stopped afterwards."""
    env = e2e_stack.stack_env(tmp_path / "run", trims=TRIMS)
    yield env
    run = RunDir(tmp_path / "run")
    if run.state_path.exists():
        e2e_stack.make(env, "down", timeout=60)


def _launch(env: Mapping[str, str], target: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return e2e_stack.make(env, target, timeout=timeout)


def _poll(what: str, probe: Callable[[], bool], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.25)


def _kit_targets_up(prometheus: str, want: int) -> bool:
    targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
    kit = [t for t in targets if t["labels"].get("job") == "kit"]
    return len(kit) == want and all(t["health"] == "up" for t in kit)


def _passing(consul: str, service: str) -> int:
    return len(httpx.get(f"{consul}/v1/health/service/{service}?passing=1", timeout=2).json())


def test_up_serves_every_call_then_down_leaves_nothing(stack_env: dict[str, str]) -> None:
    started = time.monotonic()
    up = _launch(stack_env, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    print(f"up took {time.monotonic() - started:.1f} s")  # reported, not bounded: a busy machine is slower
    assert "the stack is up" in up.stdout
    ports = Ports.from_env(stack_env)
    run = RunDir(Path(stack_env["STACK_RUN_DIR"]))
    state = run.load()
    assert state is not None
    assert [p.name for p in state.procs] == ["consul", "prometheus", "trim-1", "trim-2", "trim-3", "add"]
    assert all(is_ours(p) for p in state.procs)
    add_http = f"http://127.0.0.1:{ports.add_http}"
    assert add_http in up.stdout
    assert f"http://127.0.0.1:{ports.prometheus}/consoles/kit.html" in up.stdout

    # HTTP
    assert httpx.post(f"{add_http}/sum", json={"a": 1, "b": 2}, timeout=5).json() == {"v": 3}
    assert httpx.post(f"{add_http}/concat", json={"a": "1 0 1", "b": "2"}, timeout=5).json() == {"v": "1012"}
    # gRPC
    with grpc.insecure_channel(f"127.0.0.1:{ports.add_grpc}") as channel:
        stub = add_pb2_grpc.AddStub(channel)
        assert stub.Sum(add_pb2.SumRequest(a=40, b=2), timeout=5).v == 42
        for i in range(TRIMS * 2):  # enough calls to go round every trim
            reply = stub.Concat(add_pb2.ConcatRequest(a=f" {i} ", b="x y"), timeout=5)
            assert (reply.v, reply.err) == (f"{i}xy", "")
    # Consul and Prometheus
    consul = f"http://127.0.0.1:{ports.consul_http}"
    assert _passing(consul, "add") == 1
    assert _passing(consul, "trim") == TRIMS
    prometheus = f"http://127.0.0.1:{ports.prometheus}"
    _poll("every kit target up in Prometheus", lambda: _kit_targets_up(prometheus, TRIMS + 1))

    again = _launch(stack_env, "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already runs and is healthy: nothing to do" in again.stdout
    ps = _launch(stack_env, "ps")
    assert ps.returncode == 0
    assert ps.stdout.count(" yes ") == len(state.procs)

    down = _launch(stack_env, "down", timeout=90)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "the stack is down" in down.stdout
    _assert_nothing_left(run, state)


def _assert_nothing_left(run: RunDir, state: State) -> None:
    assert run.load() is None
    assert [p.name for p in state.procs if is_ours(p)] == []
    assert busy(state.ports.listening(state.trims)) == ()


def test_a_part_that_fails_stops_everything_and_shows_its_log(stack_env: dict[str, str]) -> None:
    stack_env["ADD_MAX_BODY_BYTES"] = "0"  # add refuses to start
    up = _launch(stack_env, "up")
    assert up.returncode != 0, up.stdout + up.stderr
    assert "add exited" in up.stderr
    assert "last lines of" in up.stderr
    assert "ADD_MAX_BODY_BYTES" in up.stderr
    run = RunDir(Path(stack_env["STACK_RUN_DIR"]))
    assert run.load() is None
    ports = Ports.from_env(stack_env)
    _poll("every port free", lambda: busy(ports.listening(TRIMS)) == (), timeout=30)
    ps = _launch(stack_env, "ps")
    assert ps.returncode == 0
    assert "not running" in ps.stdout
