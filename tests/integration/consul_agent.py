"""A real Consul agent in dev mode for integration tests, on free ports of 127.0.0.1, and the pytest fixtures that
start it. Loaded as a pytest plugin by tests/conftest.py; tests import `ConsulAgent` only for type annotations.

The agent keeps everything in memory, so `stop()` then `start()` (on the same ports) is a Consul that restarted
and forgot every registration. The ACL variant enforces `default_policy = "deny"` with a master token.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.kitstack import plan
from deploy.local.kitstack.ports import Ports, free_ports
from deploy.local.kitstack.process import Process
from deploy.local.kitstack.tools import ToolMissing, Tools

REPO = Path(__file__).resolve().parents[2]


def tools() -> Tools:
    """Consul, Prometheus and the project's Python as the stack finds them; fails the test when one is missing,
    since integration tests must not pass without their Consul and Prometheus."""
    try:
        return Tools.find(REPO)
    except ToolMissing as exc:
        pytest.fail(str(exc))


class ConsulAgent:
    """One `consul agent -dev` process of this test, as the stack runs it (kitstack's plan and launcher), on free
    ports; stopped by its PID only."""

    def __init__(self, workdir: Path, *, acl: bool = False) -> None:
        self.workdir = workdir
        http, server, lan, wan = free_ports(4)
        self.ports = Ports(consul_http=http, consul_server=server, consul_serf_lan=lan, consul_serf_wan=wan)
        self.token: str | None = str(uuid.uuid4()) if acl else None
        self.log_path = workdir / "consul.log"
        self.process: Process | None = None

    @property
    def http_port(self) -> int:
        return self.ports.consul_http

    @property
    def addr(self) -> str:
        """The HTTP API address, as CONSUL_HTTP_ADDR takes it."""
        return f"127.0.0.1:{self.http_port}"

    @property
    def url(self) -> str:
        return f"http://{self.addr}"

    def spec(self) -> plan.Spec:
        extra: list[str] = []
        if self.token is not None:
            config = self.workdir / "acl.hcl"
            config.write_text(
                'acl {\n  enabled = true\n  default_policy = "deny"\n'
                f'  tokens {{\n    master = "{self.token}"\n  }}\n}}\n'
            )
            extra = ["-config-file", str(config)]
        return plan.consul(tools(), self.ports, extra=extra)

    def start(self, *, timeout: float = 60.0) -> ConsulAgent:
        """Starts the agent and waits (at most `timeout` seconds) until it has elected itself leader."""
        if self.process is not None and self.process.alive():
            raise RuntimeError("this Consul agent is running already")
        self.process = Process.start(self.spec(), log=self.log_path, cwd=self.workdir)
        self.process.wait_ready(lambda: self.leader() != "", timeout=timeout)
        return self

    def leader(self) -> str:
        """The leader's address from /v1/status/leader, or "" while there is none (or no answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/v1/status/leader", timeout=0.5) as response:
                return str(json.loads(response.read()))
        except (OSError, ValueError):
            return ""

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stops the agent: SIGTERM, then SIGKILL when it has not exited within `timeout` seconds."""
        process, self.process = self.process, None
        if process is not None:
            process.stop(timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        return self.process.log_tail(lines) if self.process is not None else ""


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
