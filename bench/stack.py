"""Everything a run measures, started on free ports of 127.0.0.1 and stopped by PID, even when something fails.

The kit's stack is Consul (dev agent), two trims registered in it and add discovering them (the default config:
Consul discovery, round robin, retry, every middleware on). The peer's is the FastAPI peer and two trims of its
own, called over HTTP from a fixed list. go-kit's is bench/gokit's addsvc and two trimsvcs (Go, go-kit 0.10). The
baselines are a fixed-reply nginx, a fixed-reply uvicorn and a fixed-reply grpc.aio server. Python servers run on
the runtime-only install (`RUNTIME_PYTHON`).
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.plan import FIXED_HTTP_REPLY, GRPC_REPLIES, HTTP_BODIES, Stack
from bench.procs import Proc, Usage, wait_for
from deploy.local.kitstack import plan
from deploy.local.kitstack.ports import Ports, free_port, free_ports
from deploy.local.kitstack.tools import Tools

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 240.0
"""Bounded wait for every process to answer: on a 2-core machine that others load (load average 60 was seen),
eight Python processes importing at once can take minutes."""
RUNTIME_PYTHON = ROOT / ".tools" / "runtime" / "bin" / "python"
"""The interpreter of the runtime-only install (`make install` syncs it with `uv sync --no-dev`): every Python server
of a run uses it, so its memory is that of an install with the services' runtime dependencies only."""
GOKIT_BIN = ROOT / ".tools" / "gokit" / "bin"
"""Where scripts/install-gokit.sh builds bench/gokit's addsvc and trimsvc."""


def python() -> str:
    """The runtime-only interpreter when it is installed, else this one (whose memory is then not the figure)."""
    return str(RUNTIME_PYTHON) if RUNTIME_PYTHON.exists() else sys.executable


def gokit_binary(name: str) -> str:
    """A go-kit binary of bench/gokit; raises naming the script that builds it."""
    path = GOKIT_BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} not found: run `bash scripts/install-gokit.sh` (or `make install`)")
    return str(path)


def find_tool(name: str) -> str:
    """A tool from .tools/bin (scripts/install-tools.sh, scripts/install-bench-tools.sh), else from PATH."""
    found = shutil.which(name, path=str(ROOT / ".tools" / "bin")) or shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: run `bash scripts/install-bench-tools.sh` (or `make install`)")
    return found


@dataclass
class Running:
    """The started processes, the address each stack answers on, and the process that serves it."""

    logs: Path
    procs: list[Proc] = field(default_factory=list)
    http: dict[Stack, str] = field(default_factory=dict)
    grpc: dict[Stack, str] = field(default_factory=dict)
    front: dict[Stack, Proc] = field(default_factory=dict)
    members: dict[Stack, list[Proc]] = field(default_factory=dict)

    def add(self, proc: Proc) -> Proc:
        self.procs.append(proc.start())
        return proc

    def check_alive(self) -> None:
        for proc in self.procs:
            proc.check_alive()

    def usage(self) -> dict[str, Usage]:
        """Memory and CPU of every process, by name."""
        return {proc.name: proc.usage() for proc in self.procs}

    def stop(self) -> None:
        """Stops every process, newest first (clients before what they call), each by its own PID."""
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                proc.stop()


def _post_ok(url: str, body: str) -> bool:
    try:
        return httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=2).is_success
    except httpx.HTTPError:
        return False


def _get_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).is_success
    except httpx.HTTPError:
        return False


def _has_leader(consul_url: str) -> bool:
    try:
        return httpx.get(f"{consul_url}/v1/status/leader", timeout=2).text.strip('"\n') != ""
    except httpx.HTTPError:
        return False


def _consul(run: Running) -> tuple[str, Proc]:
    http, server, lan, wan = free_ports(4)
    ports = Ports(consul_http=http, consul_server=server, consul_serf_lan=lan, consul_serf_wan=wan)
    spec = plan.consul(Tools.find(ROOT), ports, log_level="warn")
    proc = run.add(Proc("consul", spec.argv, run.logs / "consul.log"))
    url = f"http://127.0.0.1:{http}"
    wait_for("consul", lambda: _has_leader(url), timeout=STARTUP_SECONDS, alive=run.check_alive)
    return f"127.0.0.1:{http}", proc


def _service(run: Running, name: str, module: str, env: dict[str, str]) -> Proc:
    env = {"LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1", **env}
    return run.add(Proc(name, [python(), "-m", module], run.logs / f"{name}.log", env))


def _trim(run: Running, name: str, *, consul: str | None) -> tuple[str, Proc]:
    """Starts a trim; registered in Consul when `consul` is given. Returns its HTTP base URL and process."""
    http, grpc = free_port(), free_port()
    env = {"TRIM_HTTP_PORT": str(http), "TRIM_GRPC_PORT": str(grpc), "TRIM_GRACE": "2"}
    env |= {"CONSUL_HTTP_ADDR": consul, "TRIM_REGISTER": "true"} if consul else {"TRIM_REGISTER": "false"}
    return f"http://127.0.0.1:{http}", _service(run, name, "trimsvc", env)


def _nginx(run: Running) -> None:
    port, work = free_port(), run.logs / "nginx"
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    temp_paths = "".join(
        f"  {kind}_temp_path {work / 'tmp' / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = work / "nginx.conf"
    conf.write_text(
        "daemon off;\nmaster_process off;\nworker_processes 1;\n"
        f"pid {work / 'nginx.pid'};\nerror_log {work / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  access_log off;\n" + temp_paths + f"  server {{\n    listen 127.0.0.1:{port};\n"
        "    location / { default_type application/json; return 200 '" + FIXED_HTTP_REPLY + "'; }\n  }\n}\n"
    )
    argv = [find_tool("nginx"), "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)]
    run.front["nginx"] = run.add(Proc("nginx", argv, run.logs / "nginx.log"))
    run.http["nginx"] = f"http://127.0.0.1:{port}"


def _fixed_grpc(run: Running) -> None:
    port = free_port()
    argv = [python(), "-m", "bench.fixed_grpc", f"--port={port}", f"--reply-hex={GRPC_REPLIES['sum'].hex()}"]
    run.front["grpc-fixed"] = run.add(Proc("grpc-fixed", argv, run.logs / "grpc-fixed.log", {"PYTHONPATH": str(ROOT)}))
    run.grpc["grpc-fixed"] = f"127.0.0.1:{port}"


def _fixed_http(run: Running) -> None:
    port = free_port()
    argv = [python(), "-m", "bench.fixed_http", f"--port={port}"]
    run.front["uvicorn"] = run.add(
        Proc("uvicorn-fixed", argv, run.logs / "uvicorn-fixed.log", {"PYTHONPATH": str(ROOT)})
    )
    run.http["uvicorn"] = f"http://127.0.0.1:{port}"


def _gokit(run: Running) -> list[Proc]:
    """go-kit's trims (two, on free gRPC ports) and its add calling them; returns them, add first."""
    trims = []
    for i in (1, 2):
        port = free_port()
        argv = [gokit_binary("trimsvc"), f"-grpc=127.0.0.1:{port}"]
        trims.append((f"127.0.0.1:{port}", run.add(Proc(f"gokit-trim-{i}", argv, run.logs / f"gokit-trim-{i}.log"))))
    port = free_port()
    argv = [gokit_binary("addsvc"), f"-http=127.0.0.1:{port}", "-trims=" + ",".join(addr for addr, _ in trims)]
    run.front["gokit"] = run.add(Proc("gokit-add", argv, run.logs / "gokit-add.log"))
    run.http["gokit"] = f"http://127.0.0.1:{port}"
    return [run.front["gokit"], *(proc for _, proc in trims)]


def start(run: Running) -> None:
    """Starts every process of `run` and waits (bounded) until each answers; raises naming the one that didn't."""
    consul, consul_proc = _consul(run)
    kit_trims = [_trim(run, f"trim-{i}", consul=consul) for i in (1, 2)]
    peer_trims = [_trim(run, f"peer-trim-{i}", consul=None) for i in (1, 2)]
    add_http, add_grpc = free_port(), free_port()
    add_env = {"ADD_HTTP_PORT": str(add_http), "ADD_GRPC_PORT": str(add_grpc), "ADD_GRACE": "2"}
    run.front["kit"] = _service(run, "add", "addsvc", {**add_env, "CONSUL_HTTP_ADDR": consul})
    run.http["kit"], run.grpc["kit"] = f"http://127.0.0.1:{add_http}", f"127.0.0.1:{add_grpc}"
    peer_port = free_port()
    peer_urls = ",".join(url for url, _ in peer_trims)
    peer_env = {"PEER_PORT": str(peer_port), "PEER_TRIM_URLS": peer_urls, "PYTHONPATH": str(ROOT)}
    run.front["peer"] = _service(run, "peer", "bench.peer", peer_env)
    run.http["peer"] = f"http://127.0.0.1:{peer_port}"
    gokit = _gokit(run)
    _nginx(run)
    _fixed_http(run)
    _fixed_grpc(run)
    run.members = {
        "kit": [run.front["kit"], *(proc for _, proc in kit_trims), consul_proc],
        "peer": [run.front["peer"], *(proc for _, proc in peer_trims)],
        "gokit": gokit,
        "nginx": [run.front["nginx"]],
        "uvicorn": [run.front["uvicorn"]],
        "grpc-fixed": [run.front["grpc-fixed"]],
    }

    health = [f"{url}/health" for url, _ in [*kit_trims, *peer_trims]] + [f"{run.http['kit']}/health"]
    for url in health:
        wait_for(url, functools.partial(_get_ok, url), timeout=STARTUP_SECONDS, alive=run.check_alive)
    # add answers /concat only once Consul has shown it the trims; the peer once its trims answer.
    for url in (f"{run.http['kit']}/concat", f"{run.http['peer']}/concat", f"{run.http['gokit']}/concat"):
        ready = functools.partial(_post_ok, url, HTTP_BODIES["concat"])
        wait_for(url, ready, timeout=STARTUP_SECONDS, alive=run.check_alive)
    for name in ("nginx", "uvicorn"):
        ready = functools.partial(_get_ok, run.http[name])
        wait_for(name, ready, timeout=STARTUP_SECONDS, alive=run.check_alive)


@contextlib.contextmanager
def running(logs: Path) -> Iterator[Running]:
    """Starts everything, yields it, and stops every process it started on the way out, failure or not."""
    run = Running(logs)
    try:
        start(run)
        yield run
    finally:
        run.stop()


__all__ = ["GOKIT_BIN", "ROOT", "RUNTIME_PYTHON", "Running", "find_tool", "python", "running", "start"]
