"""The whole local stack (`deploy/local/stack.py`) for end-to-end tests: brought up on a block of free ports far
from the defaults, with its own run folder, so that a stack a person runs with `make up` is never touched; and
always brought down again, as tests/stack/test_stack_up.py does."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.local.kitstack.ports import Ports, busy
from deploy.local.kitstack.state import RunDir

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "deploy" / "local" / "stack.py"


@dataclass(frozen=True, slots=True)
class RunningStack:
    """A stack that is up: where each part answers, and the launcher environment that brought it up."""

    env: Mapping[str, str]
    ports: Ports
    trims: int
    run_dir: Path

    @property
    def add_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.add_http}"

    @property
    def trim_urls(self) -> tuple[str, ...]:
        return tuple(f"http://127.0.0.1:{self.ports.trim(i)[1]}" for i in range(1, self.trims + 1))

    @property
    def consul_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.consul_http}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prometheus}"


def free_offset(trims: int) -> int:
    """A STACK_PORT_OFFSET whose every port is free now, below the kernel's ephemeral range."""
    rng = random.Random()
    for _ in range(50):
        offset = rng.randrange(10, 220) * 100
        if not busy(Ports.from_env({"STACK_PORT_OFFSET": str(offset)}).listening(trims)):
            return offset
    raise AssertionError("no free block of ports found")


def launch(env: Mapping[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs `stack.py ARGS` with `env` and returns what it printed."""
    return _run([sys.executable, str(LAUNCHER), *args], env, timeout)


def make(env: Mapping[str, str], target: str, *extra: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    """Runs `make TARGET` at the repository's root as a person would (MODE, TRIM, PART come from `env`)."""
    return _run(["make", "--no-print-directory", "-C", str(ROOT), target, *extra], env, timeout)


def _run(argv: list[str], env: Mapping[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )


def stack_env(run_dir: Path, *, trims: int) -> dict[str, str]:
    """The launcher's environment for a test stack in `run_dir`, local mode, on a free block of ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACK_") and k not in ("MODE", "TRIM", "PART")}
    env.update(STACK_RUN_DIR=str(run_dir), STACK_PORT_OFFSET=str(free_offset(trims)), MODE="local")
    env.update(TRIM=str(trims), STACK_UP_TIMEOUT="90", STACK_STOP_TIMEOUT="10")
    return env


@contextmanager
def running_stack(run_dir: Path, *, trims: int = 2) -> Iterator[RunningStack]:
    """Brings the local stack up in `run_dir` on free ports, yields it, and brings it down whatever happened."""
    env = stack_env(run_dir, trims=trims)
    try:
        up = launch(env, "up")
        assert up.returncode == 0, f"stack.py up failed:\n{up.stdout}\n{up.stderr}"
        yield RunningStack(env=env, ports=Ports.from_env(env), trims=trims, run_dir=run_dir)
    finally:
        if RunDir(run_dir).state_path.exists():
            down = launch(env, "down", timeout=60)
            assert down.returncode == 0, f"stack.py down failed:\n{down.stdout}\n{down.stderr}"


__all__ = ["LAUNCHER", "ROOT", "RunningStack", "free_offset", "launch", "make", "running_stack", "stack_env"]
