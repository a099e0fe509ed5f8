"""A real Consul agent in dev mode for integration tests, on free ports of 127.0.0.1, and the pytest fixtures that
start it. Loaded as a pytest plugin by tests/conftest.py; tests import `ConsulAgent` only for type annotations.

The agent keeps everything in memory, so `stop()` then `start()` (on the same ports) is a Consul that restarted
and forgot every registration. The ACL variant enforces `default_policy = "deny"` with a master token.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def find_consul() -> str:
    """The consul binary: on PATH, else in <repo>/.tools/bin (where `make tools` puts it); fails the test when
    there is none, since integration tests must not pass without their Consul."""
    found = shutil.which("consul", path=os.pathsep.join([os.environ.get("PATH", ""), str(REPO / ".tools" / "bin")]))
    if found is None:
        pytest.fail("no consul binary on PATH nor in .tools/bin: run `make tools` (Consul 1.8.7 is expected)")
    return found


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports of 127.0.0.1 that nothing listens on right now."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


class ConsulAgent:
    """One `consul agent -dev` process of this test, stopped by its PID only."""

    def __init__(self, workdir: Path, *, acl: bool = False, binary: str | None = None) -> None:
        self.binary = binary or find_consul()
        self.workdir = workdir
        self.http_port, self.serf_lan_port, self.serf_wan_port, self.server_port, self.grpc_port = free_ports(5)
        self.token: str | None = str(uuid.uuid4()) if acl else None
        self.log_path = workdir / "consul.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def addr(self) -> str:
        """The HTTP API address, as CONSUL_HTTP_ADDR takes it."""
        return f"127.0.0.1:{self.http_port}"

    @property
    def url(self) -> str:
        return f"http://{self.addr}"

    def command(self) -> list[str]:
        command = [self.binary, "agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1", "-dns-port", "-1"]
        for flag, port in (
            ("-http-port", self.http_port),
            ("-serf-lan-port", self.serf_lan_port),
            ("-serf-wan-port", self.serf_wan_port),
            ("-server-port", self.server_port),
            ("-grpc-port", self.grpc_port),
        ):
            command += [flag, str(port)]
        if self.token is not None:
            config = self.workdir / "acl.hcl"
            config.write_text(
                'acl {\n  enabled = true\n  default_policy = "deny"\n'
                f'  tokens {{\n    master = "{self.token}"\n  }}\n}}\n'
            )
            command += ["-config-file", str(config)]
        return command

    def start(self, *, timeout: float = 15.0) -> ConsulAgent:
        """Starts the agent and waits (at most `timeout` seconds) until it has elected itself leader."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("this Consul agent is running already")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"consul exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.leader():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"consul elected no leader within {timeout} s:\n{self.log_tail()}")

    def leader(self) -> str:
        """The leader's address from /v1/status/leader, or "" while there is none (or no answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/v1/status/leader", timeout=0.5) as response:
                return str(json.loads(response.read()))
        except (OSError, ValueError):
            return ""

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stops the agent: SIGTERM, then SIGKILL when it has not exited within `timeout` seconds."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def consul_agent(tmp_path: Path) -> Iterator[ConsulAgent]:
    """A Consul agent in dev mode (no ACLs) for this test."""
    workdir = tmp_path / "consul"
    workdir.mkdir()
    agent = ConsulAgent(workdir).start()
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture
def consul_acl_agent(tmp_path: Path) -> Iterator[ConsulAgent]:
    """A Consul agent in dev mode enforcing ACLs (default deny); its master token is `agent.token`."""
    workdir = tmp_path / "consul-acl"
    workdir.mkdir()
    agent = ConsulAgent(workdir, acl=True).start()
    try:
        yield agent
    finally:
        agent.stop()
