"""The swarm bed: three Docker engines (Debian's dockerd, each started by scripts/dockerd-netns.sh in a namespace
of its own, deploy/swarm/nodes.py) joined into one swarm, a local registry (Debian's docker-registry) beside each
engine, and the project's stack deployed with `docker stack deploy` from deploy/swarm/docker-stack.yml.

Images and registries: deploy/swarm/registry.py. Every docker client call that reaches a registry runs in engine
1's namespace, where `127.0.0.1:5000` is its registry.

State (what runs, the registries' PIDs) lives in `.run/swarm/`; the engines' data roots in `.tools/dockerd/`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from deploy.local.kitstack.tools import Tools

from . import nodes, registry
from .nodes import EDGE, ENGINES, LOAD, Node
from .registry import DOCKER, REGISTRY, SwarmError
from .stack import EDGE_LABEL, STACK

ROOT = Path(__file__).resolve().parents[2]
STACK_NAME = nodes.PREFIX
PORTS = {
    "STACK_ADD_HTTP_PORT": 8080,
    "STACK_ADD_GRPC_PORT": 8081,
    "STACK_CONSUL_PORT": 8500,
    "STACK_PROMETHEUS_PORT": 9090,
}


@dataclasses.dataclass
class Swarm:
    """The swarm bed of one checkout."""

    root: Path = ROOT
    env: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(os.environ))
    out: TextIO = sys.stderr
    run_dir: Path = ROOT / ".run" / "swarm"
    edge_root: Path | None = None
    """Engine 1's state folder when not its own: the container test's engine's (stopped), whose images it reuses."""

    def say(self, text: str) -> None:
        print(f"[swarm] {text}", file=self.out, flush=True)

    # ---- engines ---------------------------------------------------------------------------------------------
    def state_dir(self, node: Node) -> Path:
        if node is EDGE and self.edge_root is not None:
            return self.edge_root
        return self.root / ".tools" / "dockerd" / node.netns

    def socket(self, node: Node) -> str:
        return f"unix:///run/kitdockerd/{node.netns}/docker.sock"

    def engine_env(self, node: Node) -> dict[str, str]:
        return {**self.env, "DOCKER_HOST": self.socket(node), "DOCKER": DOCKER}

    def dockerd(self, verb: str, node: Node, *, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        argv = ["bash", str(self.root / "scripts" / "dockerd-netns.sh"), verb, node.netns, str(self.state_dir(node))]
        env = {**self.env, "DOCKERD_START_TIMEOUT": "180"}
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)

    def docker(
        self, node: Node, *args: str, inside: bool = False, timeout: float = 120, env: Mapping[str, str] = {}
    ) -> str:
        """`docker ARGS` against `node`'s engine (in its namespace when `inside`: a registry is on its loopback)."""
        argv = [DOCKER, *args]
        done = subprocess.run(
            nodes.nsenter(node, argv) if inside else argv,
            env={**self.engine_env(node), **env}, cwd=self.root, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SwarmError(f"docker {' '.join(args)} on {node.name} failed: {(done.stderr or done.stdout).strip()}")
        return done.stdout

    # ---- the swarm -------------------------------------------------------------------------------------------
    def node_ids(self) -> dict[str, str]:
        """Each engine's swarm node ID by node name (engines share the machine's hostname: told apart by address)."""
        ids = self.docker(EDGE, "node", "ls", "-q").split()
        by_addr = {}
        for node_id in ids:
            info = json.loads(self.docker(EDGE, "node", "inspect", node_id))[0]
            by_addr[info["Status"]["Addr"]] = node_id
        return {n.name: by_addr[n.address] for n in ENGINES if n.address in by_addr}

    def form(self) -> None:
        """Engine 1 starts the swarm (manager); engines 2 and 3 join it as workers."""
        info = json.loads(self.docker(EDGE, "info", "--format", "{{json .Swarm}}"))
        if info.get("LocalNodeState") != "active":
            self.docker(EDGE, "swarm", "init", "--advertise-addr", EDGE.address, "--listen-addr",
                        f"{EDGE.address}:2377", "--default-addr-pool", "10.213.64.0/18")  # fmt: skip
        token = self.docker(EDGE, "swarm", "join-token", "-q", "worker").strip()
        for node in ENGINES[1:]:
            state = json.loads(self.docker(node, "info", "--format", "{{json .Swarm}}")).get("LocalNodeState")
            if state != "active":
                self.docker(node, "swarm", "join", "--token", token, "--advertise-addr", node.address,
                            "--listen-addr", f"{node.address}:2377", f"{EDGE.address}:2377")  # fmt: skip
        ids = self.node_ids()
        if len(ids) != len(ENGINES):
            raise SwarmError(f"the swarm has {sorted(ids)}, not every engine")
        self.docker(EDGE, "node", "update", "--label-add", f"{EDGE_LABEL}=true", ids[EDGE.name])

    def deploy(self, variables: Mapping[str, str], trims: int) -> None:
        env = {**variables, **{k: str(v) for k, v in PORTS.items()}, "SWARM_TRIMS": str(trims)}
        self.docker(EDGE, "stack", "deploy", "--prune", "-c", str(STACK), STACK_NAME, inside=True, env=env,
                    timeout=300)  # fmt: skip
        (self.run_dir / "variables.json").write_text(json.dumps(env, indent=1))

    def tasks(self, service: str = "trim", ids: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """The stack's tasks of `service` meant to run, on each engine: node name and state."""
        out = []
        for name, node_id in (ids or self.node_ids()).items():
            listed = self.docker(EDGE, "node", "ps", node_id, "--filter", f"name={STACK_NAME}_{service}",
                                 "--filter", "desired-state=running", "--format", "{{json .}}")  # fmt: skip
            rows = [json.loads(line) for line in listed.splitlines() if line.strip()]
            out += [{"id": r["ID"], "node": name, "state": r["CurrentState"]} for r in rows]
        return out

    def wait_running(self, trims: int, *, timeout: float) -> None:
        """Waits until `trims` trim tasks are Running (healthy: swarm says Starting until the health check passes)."""
        ids, deadline = self.node_ids(), time.monotonic() + timeout
        while True:
            tasks = self.tasks(ids=ids)
            if len(tasks) == trims and all(t["state"].startswith("Running") for t in tasks):
                return
            if time.monotonic() > deadline:
                raise SwarmError(f"the trims are not all running after {timeout:.0f} s: {tasks}")
            time.sleep(1)

    # ---- from the callers' host --------------------------------------------------------------------------------
    def wait(self, checks: Sequence[str], *, timeout: float) -> None:
        """Waits, from the callers' host, until every check of `deploy.hosts.inside wait` passes."""
        python = str(Tools.find(self.root).python)
        argv = nodes.nsenter(LOAD, [python, "-m", "deploy.hosts.inside", "wait", "--timeout", str(timeout), *checks])
        done = subprocess.run(argv, cwd=self.root, capture_output=True, text=True, timeout=timeout + 60, check=False)
        if done.returncode != 0:
            raise SwarmError(f"not ready: {(done.stderr or done.stdout).strip()}")

    def readiness(self, trims: int) -> list[str]:
        consul = f"{EDGE.address}:{PORTS['STACK_CONSUL_PORT']}"
        return [
            f"--ok=http://{EDGE.address}:{PORTS['STACK_ADD_HTTP_PORT']}/health",
            f"--ok=http://{EDGE.address}:{PORTS['STACK_PROMETHEUS_PORT']}/-/ready",
            f"--passing={consul}/trim/{trims}",
            f"--passing={consul}/add/1",
        ]

    # ---- up and down -------------------------------------------------------------------------------------------
    def up(self, *, trims: int = 3, timeout: float = 300) -> dict[str, float]:
        """Brings the bed up; returns each step's seconds. On failure the caller runs `down`."""
        times: dict[str, float] = {}

        def step(name: str, began: float) -> None:
            times[name] = round(time.monotonic() - began, 1)
            self.say(f"{name}: {times[name]} s")

        began = time.monotonic()
        if not nodes.namespaces():
            nodes.create()
        with concurrent.futures.ThreadPoolExecutor(len(ENGINES)) as pool:
            started = list(pool.map(lambda n: self.dockerd("start", n), ENGINES))
        for node, done in zip(ENGINES, started, strict=True):
            if done.returncode != 0:
                raise SwarmError(f"dockerd on {node.name} did not start: {done.stderr[-2000:]}")
        registry.start(self)
        step("network, 3 engines, 3 registries", began)
        began = time.monotonic()
        variables = registry.build_and_push(self)
        step("images built on engine 1 and pushed", began)
        began = time.monotonic()
        self.form()
        step("swarm formed", began)
        began = time.monotonic()
        self.deploy(variables, trims)
        self.wait(self.readiness(trims), timeout=timeout)
        self.wait_running(trims, timeout=timeout)
        step(f"stack deployed, add and {trims} trims passing in Consul and healthy", began)
        return times

    def down(self) -> None:
        """Removes the stack, leaves the swarm, stops the engines and registries, removes the namespaces."""
        for node in ENGINES:
            if self.dockerd("status", node, timeout=30).returncode != 0:
                continue
            if node is EDGE:
                self._remove_stack()
            subprocess.run([DOCKER, "swarm", "leave", "--force"], env=self.engine_env(node), capture_output=True,
                           timeout=120, check=False)  # fmt: skip
        with concurrent.futures.ThreadPoolExecutor(len(ENGINES)) as pool:
            list(pool.map(lambda n: self.dockerd("stop", n), ENGINES))
        registry.stop(self)
        nodes.destroy()

    def _remove_stack(self) -> None:
        """`docker stack rm`, then (once its containers are gone) its volumes, which `stack rm` keeps: engine 1's
        data root may be the container test's, and is left as it was found."""
        env, label = self.engine_env(EDGE), f"label=com.docker.stack.namespace={STACK_NAME}"

        def listed(*args: str) -> list[str]:
            done = subprocess.run([DOCKER, *args, "--filter", label, "-q"], env=env, capture_output=True, text=True,
                                  timeout=60, check=False)  # fmt: skip
            return done.stdout.split()

        subprocess.run([DOCKER, "stack", "rm", STACK_NAME], env=env, capture_output=True, timeout=120, check=False)
        deadline = time.monotonic() + 60  # the services' stop grace is 15 s
        while listed("ps", "-a") and time.monotonic() < deadline:
            time.sleep(1)
        volumes = listed("volume", "ls")
        if volumes:
            subprocess.run([DOCKER, "volume", "rm", *volumes], env=env, capture_output=True, timeout=60, check=False)

    def summary(self) -> str:
        lines = [f"{n.netns:22} {n.address:13} engine {self.socket(n)}" for n in ENGINES]
        lines.append(f"{LOAD.netns:22} {LOAD.address:13} callers (nsenter --net={LOAD.netns_path} ...)")
        lines.append(f"add http://{EDGE.address}:8080  Consul http://{EDGE.address}:8500/ui/  "
                     f"Prometheus http://{EDGE.address}:9090/ (from inside a bed namespace only)")  # fmt: skip
        try:
            lines += [f"trim task on {t['node']}: {t['state']}" for t in self.tasks()]
        except SwarmError as exc:
            lines.append(f"no stack: {exc}")
        return "\n".join(lines)


__all__ = ["REGISTRY", "STACK_NAME", "Swarm", "SwarmError"]
