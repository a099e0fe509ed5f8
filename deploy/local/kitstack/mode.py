"""Which way the stack runs: Docker Compose when a Docker engine answers, else local processes; MODE forces one."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Literal

Mode = Literal["local", "docker"]
MODES = ("auto", "local", "docker")


class ModeError(ValueError):
    """MODE has a value other than auto, local or docker."""


def docker_answers(*, timeout: float = 10.0) -> bool:
    """Whether a Docker engine answers `docker info` (a docker client alone is not enough)."""
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(
            ["docker", "info"], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def choose(forced: str, *, local_state: bool, docker: Callable[[], bool] = docker_answers) -> Mode:
    """`forced` is MODE (empty means auto). In auto mode a recorded local stack wins, so `down`, `ps` and `logs`
    reach the stack `up` started even when a Docker engine has started answering since; otherwise Docker when
    its engine answers, else local."""
    value = forced.strip().lower() or "auto"
    if value not in MODES:
        raise ModeError(f"MODE={forced!r}: want one of {', '.join(MODES)}")
    if value == "local":
        return "local"
    if value == "docker":
        return "docker"
    if local_state:
        return "local"
    return "docker" if docker() else "local"


__all__ = ["MODES", "Mode", "ModeError", "choose", "docker_answers"]
