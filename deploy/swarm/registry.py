"""The swarm's images and registries. Engine 1 builds the images as `make up MODE=docker` does (the Debian stand-ins
of scripts/debian-images.sh, compose's own build of add and trim), tags them `127.0.0.1:5000/...` and pushes them.
A registry (Debian's docker-registry) runs on each engine's own loopback, all three on one storage folder: one image
name is pulled by every engine through a registry, with no `--insecure-registry` flag (Docker trusts a loopback
registry without TLS), as a registry on each real host in front of shared storage would be. The registries are
started with the stack launcher's `procs.spawn_logged` and stopped by PID, start time and argv.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from deploy.local.kitstack import docker as kitdocker
from deploy.local.kitstack import procs
from deploy.local.kitstack.state import Proc

from . import nodes, stack
from .nodes import EDGE, ENGINES

if TYPE_CHECKING:
    from .cluster import Swarm

REGISTRY = "127.0.0.1:5000"
DOCKER = shutil.which("docker", path="/usr/bin") or "docker"  # Debian's 20.10 CLI: a newer one may want buildx


class SwarmError(RuntimeError):
    """A step of the swarm bed failed; the message says which and what it printed."""


def _records(swarm: Swarm) -> list[Proc]:
    try:
        return [Proc.from_json(p) for p in json.loads((swarm.run_dir / "procs.json").read_text())]
    except FileNotFoundError:
        return []


def _save(swarm: Swarm, records: Sequence[Proc]) -> None:
    swarm.run_dir.mkdir(parents=True, exist_ok=True)
    (swarm.run_dir / "procs.json").write_text(json.dumps([dataclasses.asdict(r) for r in records], indent=1))


def config(swarm: Swarm) -> Path:
    storage = swarm.root / ".tools" / f"{nodes.PREFIX}-registry"
    storage.mkdir(parents=True, exist_ok=True)
    path = swarm.run_dir / "registry.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "version: 0.1\nlog:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
        f"http:\n  addr: {REGISTRY}\n"
    )
    return path


def start(swarm: Swarm) -> None:
    registry = shutil.which("docker-registry")
    if registry is None:
        raise SwarmError("docker-registry is missing: run `make docker-tools` (scripts/install-docker.sh)")
    settings, records = config(swarm), _records(swarm)
    for node in ENGINES:
        name = f"registry-{node.name}"
        if any(r.name == name and procs.is_ours(r) for r in records):
            continue
        argv = nodes.nsenter(node, [registry, "serve", str(settings)])
        record, popen, _ = procs.spawn_logged(name, argv, env=dict(swarm.env), log=swarm.run_dir / f"{name}.log",
                                              cwd=swarm.root, ports={}, health="")  # fmt: skip
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and popen.poll() is None:
            found = procs.identity(popen.pid)
            if found is not None and found.argv == tuple(argv[3:]):
                break
            time.sleep(0.02)
        if popen.poll() is not None:
            raise SwarmError(f"{name} exited at once: {procs.tail(Path(record.log), 10)}")
        records = [*(r for r in records if r.name != name), dataclasses.replace(record, argv=tuple(argv[3:]))]
        _save(swarm, records)


def stop(swarm: Swarm) -> None:
    procs.stop(_records(swarm), timeout=5)
    _save(swarm, [])


def build_and_push(swarm: Swarm) -> dict[str, str]:
    """Builds the images on engine 1 (each step skips what exists), pushes them to the registry; returns the
    variables the stack file reads (the images' names, git's tag)."""
    env = swarm.engine_env(EDGE)
    done = subprocess.run(["bash", str(swarm.root / "scripts" / "debian-images.sh")], env=env, cwd=swarm.root,
                          capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SwarmError(f"scripts/debian-images.sh failed: {done.stderr[-2000:]}")
    found = dict(line.split("=", 1) for line in done.stdout.split())
    kitdocker.trust_machine_cas(swarm.root)
    cenv = kitdocker.compose_env(swarm.root, {**env, **found, "COMPOSE_PROFILES": ""})
    # every service of the compose file with a `build:` (add, trim, and any `make new-service` added)
    compose = [DOCKER, "compose", "-f", str(swarm.root / "deploy" / "docker-compose.yml"), "build"]
    built = subprocess.run(nodes.nsenter(EDGE, compose), env=cenv, cwd=swarm.root, capture_output=True, text=True,
                           timeout=1800, check=False)  # fmt: skip
    if built.returncode != 0:
        raise SwarmError(f"compose build failed: {built.stderr[-3000:]}")
    tag = cenv["STACK_IMAGE_TAG"]
    for name in stack.images(stack.load_compose(swarm.root / "deploy" / "docker-compose.yml"), cenv):
        swarm.docker(EDGE, "tag", name, f"{REGISTRY}/{name}")
        swarm.docker(EDGE, "push", f"{REGISTRY}/{name}", inside=True, timeout=600)
    return {**found, "STACK_IMAGE_TAG": tag, "SWARM_REGISTRY": REGISTRY, "STACK_TRACES_EXPORTER": "none"}


__all__ = ["DOCKER", "REGISTRY", "SwarmError", "build_and_push", "config", "start", "stop"]
