"""A Consul restart under load costs nothing (issue 24): real trims and add, a real Consul enforcing ACLs set up as
`make up` sets it up (deploy/local/kitstack/acl.py), 16 workers of /concat; Consul is stopped and started again (a
dev agent: it comes back empty), the stack's ACL setup runs again as `make restart PART=consul` runs it, and no
request fails while add and both trims register again within a bound. Before the fix every /concat between
Consul's return and trim's re-registration failed 503 "trim is unavailable". About 80 s."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.kitstack import acl
from integration.consul_agent import ConsulAgent
from integration.procs import ServiceProcess, add_process, start_all, stop_all, trim_process
from integration.stack import load, passing, wait_until

pytestmark = pytest.mark.integration

WORKERS = 16
RESTARTS = 3
LOAD_SECONDS = 30.0
REREGISTER_BOUND = 15.0  # seconds from Consul's leader being back to every instance passing again


@pytest.fixture
def tokens(consul_acl_agent: ConsulAgent) -> acl.Tokens:
    assert consul_acl_agent.token is not None
    made = acl.Tokens(consul_acl_agent.token, str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
    acl.setup(consul_acl_agent.addr, made)
    return made


@pytest.fixture
def stack(consul_acl_agent: ConsulAgent, tokens: acl.Tokens, tmp_path: Path) -> Iterator[ServiceProcess]:
    def env(token: str) -> dict[str, str]:
        return {"CONSUL_HTTP_ADDR": consul_acl_agent.addr, "CONSUL_HTTP_TOKEN": token}

    trims = [trim_process(tmp_path, f"trim{i}", env=env(tokens.trim)) for i in (1, 2)]
    add = add_process(tmp_path, env=env(tokens.add))
    start_all(*trims, add)
    try:
        wait_until(lambda: all_passing(consul_acl_agent, tokens), timeout=20, what="add and two trims passing")
        yield add
    finally:
        stop_all(add, *trims)


def all_passing(agent: ConsulAgent, tokens: acl.Tokens | None) -> bool:
    token = tokens.management if tokens else None
    try:
        return len(passing(agent.addr, "trim", token=token)) == 2 and len(passing(agent.addr, "add", token=token)) == 1
    except Exception:  # Consul not answering yet
        return False


def restart_consul(agent: ConsulAgent, tokens: acl.Tokens | None, measured: dict[str, float]) -> None:
    """What `make restart PART=consul` does in the local stack: stop, start (empty), ACL setup again; then how
    long until every instance passes again."""
    for attempt in range(RESTARTS):
        time.sleep(2.0)  # under load first
        agent.stop()
        time.sleep(0.5 * attempt)  # outages of several lengths land the instancer's backoff at several points
        agent.start()
        back = time.monotonic()
        if tokens is not None:
            acl.setup(agent.addr, tokens)
        wait_until(lambda: all_passing(agent, tokens), timeout=REREGISTER_BOUND, what="every instance back")
        measured["reregistered"] = max(measured.get("reregistered", 0.0), time.monotonic() - back)


def test_a_consul_restart_under_load_fails_no_request(
    consul_acl_agent: ConsulAgent, tokens: acl.Tokens, stack: ServiceProcess
) -> None:
    restart_under_load(consul_acl_agent, tokens, stack)


def test_a_dev_consul_restart_under_load_fails_no_request(consul_agent: ConsulAgent, tmp_path: Path) -> None:
    env = {"CONSUL_HTTP_ADDR": consul_agent.addr}
    trims = [trim_process(tmp_path, f"trim{i}", env=env) for i in (1, 2)]
    add = add_process(tmp_path, env=env)
    start_all(*trims, add)
    try:
        wait_until(lambda: all_passing(consul_agent, None), timeout=20, what="add and two trims passing")
        restart_under_load(consul_agent, None, add)
    finally:
        stop_all(add, *trims)


def restart_under_load(agent: ConsulAgent, tokens: acl.Tokens | None, add: ServiceProcess) -> None:
    measured: dict[str, float] = {}
    errors: list[BaseException] = []

    def restart() -> None:
        try:
            restart_consul(agent, tokens, measured)
        except BaseException as exc:
            errors.append(exc)

    restarter = threading.Thread(target=restart, daemon=True)
    restarter.start()
    result = asyncio.run(
        load(f"{add.http_url}/concat", body={"a": "1 0 1", "b": "2"}, seconds=LOAD_SECONDS, concurrency=WORKERS)
    )
    restarter.join(timeout=REREGISTER_BOUND + 30)

    assert not errors, errors
    assert "reregistered" in measured
    print(f"\n{result.total} requests; every instance back {measured['reregistered']:.2f}s after Consul")
    assert result.statuses[200] > 0
    assert result.failures == [], f"{len(result.failures)} failed, first: {result.failures[:3]}"
