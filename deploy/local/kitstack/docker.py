"""The stack under Docker Compose: deploy/docker-compose.yml does the work; this only builds the commands, refuses
a second `up` and names a busy published port first, and prints the same summary as the local stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .local import StackError
from .ports import Port, busy, describe_busy
from .summary import Addresses, summary

PUBLISHED = (
    Port(8080, "add HTTP", "the add ports in deploy/docker-compose.yml"),
    Port(8081, "add gRPC", "the add ports in deploy/docker-compose.yml"),
    Port(8500, "Consul", "the consul ports in deploy/docker-compose.yml"),
    Port(9090, "Prometheus", "the prometheus ports in deploy/docker-compose.yml"),
    Port(3000, "Grafana", "the grafana ports in deploy/docker-compose.yml"),
    Port(16686, "Jaeger UI", "the jaeger ports in deploy/docker-compose.yml"),
)
"""The host ports deploy/docker-compose.yml publishes (trim publishes none, so it scales)."""


def compose_command() -> list[str]:
    """`docker compose` (the v2 plugin) when present, else a `docker-compose` on PATH."""
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False, timeout=20)
    if probe.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    raise StackError("Docker answers but has no Compose: install the compose plugin, or run with MODE=local")


def commands(compose: Sequence[str], file: Path, *, trims: int = 2, timeout: int = 120) -> dict[str, list[str]]:
    """The compose command line of each verb."""
    base = [*compose, "-f", str(file)]
    return {
        "up": [*base, "up", "-d", "--build", "--scale", f"trim={trims}", "--wait", "--wait-timeout", str(timeout)],
        "down": [*base, "down", "--remove-orphans"],
        "ps": [*base, "ps"],
        "running": [*base, "ps", "--status", "running", "-q"],
        "logs": [*base, "logs", "--no-color"],
        "restart": [*base, "restart"],
    }


def up(root: Path, *, trims: int, timeout: int, out: TextIO | None = None) -> None:
    """`compose up --wait`: builds, starts, and waits for every health check; refuses a second start."""
    out = sys.stdout if out is None else out
    cmds = commands(compose_command(), root / "deploy" / "docker-compose.yml", trims=trims, timeout=timeout)
    running = subprocess.run(cmds["running"], capture_output=True, text=True, check=False, timeout=60)
    if running.returncode == 0 and running.stdout.strip():
        raise StackError("the stack already runs under Docker Compose.\n`make ps` shows it, `make down` stops it.")
    taken = busy(PUBLISHED)
    if taken:
        raise StackError(describe_busy(taken))
    started = time.monotonic()
    print(f"starting the stack with Docker Compose ({trims} trims) ...", file=out, flush=True)
    if subprocess.run(cmds["up"], check=False).returncode != 0:
        raise StackError("docker compose up failed; `make logs` shows the containers' logs, `make down` cleans up")
    elapsed = time.monotonic() - started
    print(summary(Addresses.compose(), trims=trims, seconds=elapsed, mode="Docker Compose"), file=out)


def run(root: Path, verb: str, extra: Sequence[str] = ()) -> int:
    """Runs `down`, `ps` or `logs` through compose and returns its exit code."""
    cmds = commands(compose_command(), root / "deploy" / "docker-compose.yml")
    return subprocess.run([*cmds[verb], *extra], check=False).returncode


__all__ = ["PUBLISHED", "commands", "compose_command", "run", "up"]
