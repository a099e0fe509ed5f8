"""The multi-host test bed: its network, its processes, and the questions asked from inside it.

`Bed.up()` makes the namespaces and the bridge, starts the Consul servers, a client agent on every other host,
two trims, add and Prometheus (each with `nsenter --net=...`), and waits from inside the callers' host until the
cluster has a leader and every service is registered and passing. `Bed.down()` stops exactly what it started (by
PID, start time and argv, as the stack launcher does) and removes the namespaces. The state lives in
`.run/hosts/`; processes are started with the stack launcher's `procs.spawn_logged`, so one launcher serves both.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from deploy.local.kitstack import procs
from deploy.local.kitstack import prometheus as prometheus_config
from deploy.local.kitstack.plan import Spec
from deploy.local.kitstack.state import Proc
from deploy.local.kitstack.tools import Tools

from . import net, plan
from .records import Records
from .topology import ADD_HTTP, CONSUL_HTTP, HOSTS, PROMETHEUS_HTTP, Host, by_name, servers, with_role

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT = 15.0


class BedError(RuntimeError):
    """The bed cannot do what was asked; the message says why (and which log to read)."""


def host_of(name: str) -> str:
    """The host a process of the bed runs on, from its name (`consul-srv1`, `trim-trim1-extra`, `add`, ...)."""
    if name == "prometheus":
        return "prom"
    return name.split("-")[1] if "-" in name else name


class Bed(Records):
    """The test bed of one repository checkout; its state is kept in `run_dir` between commands."""

    def __init__(self, root: Path = ROOT, *, run_dir: Path | None = None, env: Mapping[str, str] | None = None):
        self.root = root
        self.run_dir = run_dir if run_dir is not None else root / ".run" / "hosts"
        self.env = dict(os.environ if env is None else env)
        self.hosts = HOSTS
        self.load = by_name("load")
        self.add = by_name("add")

    # ---- state ---------------------------------------------------------------------------------------------
    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    # ---- processes -----------------------------------------------------------------------------------------
    def start(self, spec: Spec) -> Proc:
        """Starts one process of the bed and records it."""
        record, popen, _ = procs.spawn_logged(
            spec.name,
            spec.argv,
            env=spec.env or plan.service_env(self.env),
            log=self.logs / f"{spec.name}.log",
            cwd=self.root,
            ports=spec.ports,
            health=spec.health,
        )
        # nsenter execs the program itself: what /proc shows (and `is_ours` compares) is the inner argv
        inner = plan.inner_argv(spec)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and popen.poll() is None:
            found = procs.identity(popen.pid)
            if found is not None and found.argv == inner:
                break
            time.sleep(0.01)
        if popen.poll() is not None:
            raise BedError(f"{spec.name} exited at once\n--- {record.log} ---\n{procs.tail(Path(record.log), 20)}")
        record = dataclasses.replace(record, argv=inner)
        self._save([*(r for r in self.records() if r.name != spec.name), record])
        return record

    def stop(self, name: str, *, timeout: float = STOP_TIMEOUT) -> str:
        """Stops the recorded process `name` (SIGTERM, SIGKILL after `timeout`); returns what happened to it."""
        found = [r for r in self.records() if r.name == name]
        if not found:
            raise BedError(f"no process called {name!r} was started")
        result = procs.stop(found, timeout=timeout)[0].outcome
        self._save([r for r in self.records() if r.name != name])
        return result

    # ---- asking from inside --------------------------------------------------------------------------------
    def inside(self, host: Host, argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        """Runs `argv` in `host`'s namespace, from the repository root, and returns what it printed."""
        return subprocess.run(
            list(plan.nsenter(host, argv)),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=self.env,
        )

    def python_inside(
        self, host: Host, module: str, args: Sequence[str], *, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """`python -m module args` of the project, in `host`'s namespace."""
        return self.inside(host, [str(Tools.find(self.root).python), "-m", module, *args], timeout=timeout)

    def get(self, url: str, *, host: Host | None = None) -> Any:
        """The JSON of a 200 answer to GET `url`, asked from `host` (default: the callers' host), or None."""
        done = self.python_inside(host or self.load, "deploy.hosts.inside", ["get", url], timeout=30)
        return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else None

    def wait(self, checks: Sequence[str], *, timeout: float, host: Host | None = None) -> None:
        """Waits, from inside `host`, until every check of `deploy.hosts.inside wait` passes; BedError if not."""
        done = self.python_inside(
            host or self.load, "deploy.hosts.inside", ["wait", "--timeout", str(timeout), *checks], timeout=timeout + 30
        )
        if done.returncode != 0:
            raise BedError(f"not ready: {done.stderr.strip() or done.stdout.strip()}")

    def leader(self, *, asking: Sequence[Host] | None = None) -> Host | None:
        """The host of the Raft leader, as the first of `asking` (default: the servers) that answers says."""
        for host in asking or servers(self.hosts):
            found = self.get(f"http://{host.consul}/v1/status/leader")
            if isinstance(found, str) and found:
                return next(h for h in self.hosts if h.address == found.rsplit(":", 1)[0])
        return None

    # ---- up and down ---------------------------------------------------------------------------------------
    def specs(self) -> list[Spec]:
        """Every process of the bed, in start order: the agents, the trims, add, Prometheus."""
        tools = Tools.find(self.root)
        data = self.run_dir / "data"
        files = prometheus_config.render(
            self.root,
            self.run_dir / "prometheus",
            consul=by_name("prom").consul,
            prometheus=f"{by_name('prom').address}:{PROMETHEUS_HTTP}",
        )
        out = [plan.consul(tools, h, data / "consul", self.hosts) for h in self.hosts if h.has_agent]
        out += [plan.trim(tools, h, self.env) for h in with_role("trim", self.hosts)]
        out.append(plan.add(tools, self.add, self.env))
        out.append(plan.prometheus(tools, by_name("prom"), files, data / "prometheus"))
        return out

    def readiness(self) -> list[str]:
        """What `up` waits for (arguments of `deploy.hosts.inside wait`)."""
        agents = [h for h in self.hosts if h.has_agent]
        trims = len(with_role("trim", self.hosts))
        return [
            *(f"--leader={h.consul}" for h in agents),
            f"--peers={self.add.consul}/{len(servers(self.hosts))}",
            *(f"--ok={s.health}" for s in self.specs() if not s.name.startswith("consul-")),
            f"--passing={self.add.consul}/trim/{trims}",
            f"--passing={self.add.consul}/add/1",
        ]

    def up(self, *, timeout: float = 90.0, out: TextIO | None = None) -> float:
        """Brings the bed up and returns the seconds it took; on failure removes what it made and raises."""
        out = sys.stdout if out is None else out
        with self.lock():
            if net.namespaces() or any(procs.is_ours(r) for r in self.records()):
                raise BedError("the bed is already up (or half up): `make hosts-down` removes it")
            started = time.monotonic()
            try:
                self._bring_up(timeout, out)
            except (BedError, net.NetError, OSError, subprocess.SubprocessError):
                self._tear_down(out)
                raise
            return time.monotonic() - started

    def _bring_up(self, timeout: float, out: TextIO) -> None:
        for old in self.logs.glob("*.log") if self.logs.is_dir() else ():
            old.unlink()
        with contextlib.suppress(FileNotFoundError):
            for path in sorted((self.run_dir / "data").rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
        print(f"making {len(self.hosts)} hosts (namespaces kmh-*) on the bridge of kmh-net", file=out)
        net.create(self.hosts)
        specs = self.specs()
        agents = [s for s in specs if s.name.startswith("consul-")]
        for spec in specs:
            if spec is agents[-1]:
                print(f"starting {spec.name}; waiting, from inside host `load`, for the cluster's leader", file=out)
            elif spec is specs[-1]:
                print(f"starting {spec.name}; waiting for every service to be registered and passing", file=out)
            self.start(spec)
            if spec is agents[-1]:
                # services register at start: give them agents that know a leader
                self.wait(self.readiness()[: len(agents) + 1], timeout=timeout)
        self.wait(self.readiness()[len(agents) + 1 :], timeout=timeout)

    def down(self, *, out: TextIO | None = None) -> None:
        """Stops every recorded process (services first, so they deregister while Consul runs) and removes the
        namespaces."""
        out = sys.stdout if out is None else out
        with self.lock():
            self._tear_down(out)

    def _tear_down(self, out: TextIO) -> None:
        records = self.records()
        services = [r for r in records if not r.name.startswith("consul-")]
        agents = [r for r in records if r.name.startswith("consul-")]
        for result in procs.stop(services, timeout=STOP_TIMEOUT) + procs.stop(agents, timeout=STOP_TIMEOUT):
            print(f"{result.name:<18} pid {result.pid:<8} {result.outcome}", file=out)
        self._save([])
        for name in net.destroy():
            print(f"removed namespace {name}", file=out)

    def summary(self) -> str:
        """Where everything is, and how to call it from inside the bed."""
        load = self.load.netns_path
        add = f"http://{self.add.address}:{ADD_HTTP}"
        lines = [f"{'host':<7} {'netns':<10} {'address':<13} runs"]
        for h in self.hosts:
            runs = [r.name for r in self.records() if host_of(r.name) == h.name]
            lines.append(f"{h.name:<7} {h.netns:<10} {h.address:<13} {', '.join(runs) or h.role}")
        lines += [
            "",
            "call it from inside the bed (never from the machine's own namespace):",
            f'  nsenter --net={load} curl -s -d \'{{"a":"1 0 1","b":"2"}}\' {add}/concat',
            f"  nsenter --net={load} curl -s http://{by_name('srv1').address}:{CONSUL_HTTP}/v1/status/leader",
            f"logs: {self.logs}",
        ]
        return "\n".join(lines)


__all__ = ["ROOT", "Bed", "BedError"]
