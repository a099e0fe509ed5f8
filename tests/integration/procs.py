"""Starts the project's services as real processes for integration tests, with the stack's launcher (kitstack's
`Process`), and stops exactly those by PID."""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.local.kitstack.plan import Spec
from deploy.local.kitstack.ports import free_port
from deploy.local.kitstack.process import Process

READY_SECONDS = 60.0
"""How long a test's process may take to become ready: a bound, not a speed test. Starting a service imports
about 75 MB of modules, which on a 2-core machine busy with other test runs has taken over 20 s."""


@dataclass
class ServiceProcess:
    """One service instance (`python -m addsvc` or `python -m trimsvc`) on its own ports."""

    module: str
    http_port: int
    grpc_port: int
    env: Mapping[str, str]
    log_path: Path
    process: Process | None = field(default=None, init=False)

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, *, wait: float = READY_SECONDS) -> ServiceProcess:
        """Starts the process and waits (bounded) until its /health answers 200."""
        return self.launch().wait_ready(wait=wait)

    def launch(self) -> ServiceProcess:
        """Starts the process without waiting for it."""
        argv = (sys.executable, "-m", self.module)
        spec = Spec(self.module, argv, {"LOG_FORMAT": "json", **self.env}, health=f"{self.http_url}/health")
        self.process = Process.start(spec, log=self.log_path)
        return self

    def wait_ready(self, *, wait: float = READY_SECONDS) -> ServiceProcess:
        """Waits (bounded) until /health answers 200; stops the process and raises if it never does."""
        assert self.process is not None, "launch() first"
        self.process.wait_ready(self._healthy, timeout=wait)
        return self

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.http_url}/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return self.process.log_text() if self.process is not None else ""

    def signal(self, signum: int) -> None:
        if self.process is not None:
            self.process.signal(signum)

    def wait(self, timeout: float) -> int | None:
        """Waits (bounded) for the process to exit; its exit code, or None if it still runs."""
        return None if self.process is None else self.process.wait(timeout)

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.process is not None:
            self.process.stop(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to deregister."""
        if self.process is not None:
            self.process.kill()


def trim_process(tmp: Path, name: str, *, env: Mapping[str, str] = {}) -> ServiceProcess:
    """A trim instance on free ports (not started)."""
    return _service_process("trimsvc", "TRIM", tmp / f"{name}.log", env)


def add_process(tmp: Path, *, env: Mapping[str, str] = {}, name: str = "add") -> ServiceProcess:
    """An add instance on free ports (not started), logging to `<name>.log`."""
    return _service_process("addsvc", "ADD", tmp / f"{name}.log", env)


def _service_process(module: str, prefix: str, log: Path, env: Mapping[str, str]) -> ServiceProcess:
    http_port, grpc_port = free_port(), free_port()
    ports = {f"{prefix}_HTTP_PORT": str(http_port), f"{prefix}_GRPC_PORT": str(grpc_port), f"{prefix}_GRACE": "3"}
    return ServiceProcess(module, http_port, grpc_port, {**ports, **env}, log)


def start_all(*processes: ServiceProcess, wait: float = READY_SECONDS) -> None:
    """Launches every process, then waits (bounded) for each to be healthy; when one is not, stops them all (none
    is left behind to slow the next test) and raises."""
    try:
        for process in processes:
            process.launch()
        for process in processes:
            process.wait_ready(wait=wait)
    except BaseException:
        stop_all(*processes)
        raise


def stop_all(*processes: ServiceProcess, timeout: float = 15.0) -> None:
    """SIGTERMs every process at once, then waits for each (SIGKILL past `timeout`)."""
    for process in processes:
        process.signal(signal.SIGTERM)
    for process in processes:
        process.stop(timeout=timeout)
