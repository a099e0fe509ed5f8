"""Starts the project's services as real processes for integration tests, and stops exactly those by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    """One service instance (`python -m addsvc` or `python -m trimsvc`) on its own ports."""

    module: str
    http_port: int
    grpc_port: int
    env: Mapping[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, *, wait: float = 60.0) -> ServiceProcess:
        """Starts the process and waits (bounded) until its /health answers 200."""
        return self.launch().wait_ready(wait=wait)

    def launch(self) -> ServiceProcess:
        """Starts the process without waiting for it."""
        env = {**os.environ, "LOG_FORMAT": "json", **self.env}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_ready(self, *, wait: float = 60.0) -> ServiceProcess:
        """Waits (bounded) until /health answers 200; kills the process and raises if it never does."""
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.http_url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"{self.module} did not become healthy within {wait}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int | None:
        """Waits (bounded) for the process to exit; its exit code, or None if it still runs."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        if self.wait(timeout) is None:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to deregister."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def trim_process(tmp: Path, name: str, *, env: Mapping[str, str] = {}) -> ServiceProcess:
    """A trim instance on free ports (not started)."""
    http_port, grpc_port = free_port(), free_port()
    return ServiceProcess(
        "trimsvc",
        http_port,
        grpc_port,
        {"TRIM_HTTP_PORT": str(http_port), "TRIM_GRPC_PORT": str(grpc_port), "TRIM_GRACE": "3", **env},
        tmp / f"{name}.log",
    )


def add_process(tmp: Path, *, env: Mapping[str, str] = {}, name: str = "add") -> ServiceProcess:
    """An add instance on free ports (not started), logging to `<name>.log`."""
    http_port, grpc_port = free_port(), free_port()
    return ServiceProcess(
        "addsvc",
        http_port,
        grpc_port,
        {"ADD_HTTP_PORT": str(http_port), "ADD_GRPC_PORT": str(grpc_port), "ADD_GRACE": "3", **env},
        tmp / f"{name}.log",
    )


def stop_all(*processes: ServiceProcess, timeout: float = 15.0) -> None:
    """SIGTERMs every process at once, then waits for each (SIGKILL past `timeout`)."""
    for process in processes:
        process.signal(signal.SIGTERM)
    for process in processes:
        process.stop(timeout=timeout)
