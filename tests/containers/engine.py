"""The Docker engine the container test drives: the one that already answers (a developer's own), or else one it
starts with scripts/dockerd-netns.sh in a private network namespace and stops again. Every client of the
containers runs through `Engine.inside`: under `nsenter --net` for the private engine, as it is for the host's."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "dockerd-netns.sh"
DOCKER = shutil.which("docker", path="/usr/bin") or "docker"
"""Debian's CLI when present: a newer `docker` elsewhere on PATH may insist on buildx."""


class EngineMissing(RuntimeError):
    """No engine answers and none can be started here; the message says what to install."""


def answers(env: Mapping[str, str]) -> bool:
    """Whether `docker info` answers with this environment (DOCKER_HOST or the default socket)."""
    if shutil.which(DOCKER) is None:
        return False
    try:
        done = subprocess.run([DOCKER, "info"], env=dict(env), capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@dataclass
class Engine:
    """An engine, its client environment, and (when private) the namespace every client runs in."""

    env: dict[str, str]
    netns: str | None = None
    name: str = ""
    state_dir: Path | None = None
    started: list[str] = field(default_factory=list)
    pid_file: Path | None = None

    @classmethod
    def private_name(cls) -> str:
        """KIT_DOCKER_NETNS, else a name unique to this checkout (several clones on one machine do not meet)."""
        digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
        return os.environ.get("KIT_DOCKER_NETNS", "").strip() or f"kitdk-{digest}"

    @classmethod
    def acquire(cls) -> Engine:
        """The engine that answers, or a private one started now; EngineMissing when neither can be had."""
        env = dict(os.environ)
        if answers(env):
            return cls(env=env)
        missing = [tool for tool in ("dockerd", "slirp4netns", "nsenter", "mmdebstrap") if shutil.which(tool) is None]
        if missing or os.geteuid() != 0:
            why = f"{', '.join(missing)} missing" if missing else "not root"
            raise EngineMissing(f"no Docker engine answers and none can be started ({why}): as root, run "
                                "`bash scripts/install-docker.sh` (.ci/run does)")  # fmt: skip
        name = cls.private_name()
        state_dir = ROOT / ".tools" / "dockerd" / name
        script_env = {**env, "DOCKERD_START_TIMEOUT": "180"}  # a busy machine; the script cleans up if it fails
        subprocess.run(["bash", str(SCRIPT), "start", name, str(state_dir)], env=script_env, check=True, timeout=240)
        told = subprocess.run(
            ["bash", str(SCRIPT), "env", name, str(state_dir)], capture_output=True, text=True, check=True, timeout=20
        ).stdout
        found = dict(line.split("=", 1) for line in told.splitlines())
        env["DOCKER_HOST"] = found["DOCKER_HOST"]
        engine = cls(env=env, netns=found["KIT_DOCKER_NETNS"], name=name, state_dir=state_dir, started=[name])
        engine.pid_file = Path(found["DOCKERD_PID_FILE"])
        return engine

    def inside(self, argv: Sequence[str]) -> list[str]:
        """`argv` run where the containers' published ports are."""
        return ["nsenter", f"--net={self.netns}", *argv] if self.netns else list(argv)

    def docker(self, *args: str, timeout: float = 120) -> str:
        """`docker ARGS` against this engine (over its socket); its stdout, or CalledProcessError."""
        done = subprocess.run(
            [DOCKER, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
        return done.stdout

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        data = json.loads(self.docker(kind, "inspect", name))
        assert isinstance(data, list)
        first = data[0]
        assert isinstance(first, dict)
        return first

    def dockerd_pid(self) -> int | None:
        """The private dockerd's pid while it runs."""
        if self.pid_file is None:
            return None
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def stop(self) -> None:
        """Stops the private engine (and deletes its namespace); the host's engine is left alone."""
        if self.started and self.state_dir is not None:
            subprocess.run(["bash", str(SCRIPT), "stop", self.name, str(self.state_dir)], check=True, timeout=120)
            self.started.clear()


__all__ = ["DOCKER", "ROOT", "Engine", "EngineMissing", "answers"]
