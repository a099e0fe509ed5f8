"""add finds trim through a real Consul: registration, round robin, scale-out, kill -9, Consul outages, ACLs.

Every part is a real process on free ports of 127.0.0.1: a Consul dev agent, trims and add.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from integration.consul_agent import ConsulAgent
from integration.procs import ServiceProcess, add_process, start_all, stop_all, trim_process
from integration.stack import calls_per_trim, load, passing, samples, wait_until

pytestmark = pytest.mark.integration

Stack = tuple[ServiceProcess, list[ServiceProcess]]


def consul_env(agent: ConsulAgent, token: str | None = None) -> dict[str, str]:
    env = {"CONSUL_HTTP_ADDR": agent.addr}
    if token:
        env["CONSUL_HTTP_TOKEN"] = token
    return env


@pytest.fixture
def stack(consul_agent: ConsulAgent, tmp_path: Path) -> Iterator[Stack]:
    env = consul_env(consul_agent)
    trims = [trim_process(tmp_path, f"trim{i}", env=env) for i in (1, 2)]
    add = add_process(tmp_path, env=env)
    start_all(*trims, add)
    try:
        wait_until(lambda: len(passing(consul_agent.addr, "trim")) == 2, timeout=15, what="two passing trims")
        wait_until(lambda: len(passing(consul_agent.addr, "add")) == 1, timeout=15, what="add passing")
        yield add, trims
    finally:
        stop_all(add, *trims)


def concat(add: ServiceProcess, a: str = "1 0 1", b: str = "2") -> httpx.Response:
    return httpx.post(f"{add.http_url}/concat", json={"a": a, "b": b}, timeout=5)


def test_registered_passing_and_round_robin(consul_agent: ConsulAgent, stack: Stack) -> None:
    add, trims = stack
    services = httpx.get(f"{consul_agent.url}/v1/agent/services", timeout=5).json()
    by_name = {entry["Service"]: entry for entry in services.values()}
    assert by_name["add"]["Port"] == add.grpc_port
    assert by_name["add"]["Meta"]["http_port"] == str(add.http_port)
    assert {"grpc", "http"} <= set(by_name["trim"]["Tags"])
    wait_until(
        lambda: sum(value for _, value in samples(add, "kit_sd_instances")) == 2, timeout=15, what="add to see 2 trims"
    )
    for _ in range(20):
        response = concat(add)
        assert (response.status_code, response.json()) == (200, {"v": "1012"})
    counts = calls_per_trim(add)
    # 20 Concats are 40 trim calls; round robin splits them evenly between the two instances.
    assert counts == {trims[0].grpc_address: 20, trims[1].grpc_address: 20}


def test_a_new_trim_gets_traffic_soon_after_it_passes(consul_agent: ConsulAgent, stack: Stack, tmp_path: Path) -> None:
    add, _ = stack
    third = trim_process(tmp_path, "trim3", env=consul_env(consul_agent)).start()
    try:
        wait_until(lambda: len(passing(consul_agent.addr, "trim")) == 3, timeout=15, what="the third trim passing")

        def third_served() -> bool:
            concat(add)
            return calls_per_trim(add)[third.grpc_address] > 0

        # About a second on an idle machine (a blocking query returns at once); the bound leaves room for a busy one.
        took = wait_until(third_served, timeout=15.0, what="traffic on the third trim", step=0.02)
        print(f"the third trim got traffic {took:.2f} s after it passed")
    finally:
        third.stop()


def test_kill_9_under_load_fails_no_request(consul_agent: ConsulAgent, stack: Stack) -> None:
    add, trims = stack
    victim = trims[0]

    async def scenario() -> None:
        load_task = asyncio.create_task(
            load(f"{add.http_url}/concat", body={"a": "a b", "b": "c d"}, seconds=4.0, concurrency=16)
        )
        await asyncio.sleep(1.0)
        victim.kill()
        result = await load_task
        assert result.failures == []
        assert result.statuses[200] > 100

    asyncio.run(scenario())
    wait_until(lambda: len(passing(consul_agent.addr, "trim")) == 1, timeout=15, what="Consul to drop the killed trim")
    retries = sum(value for _, value in samples(add, "kit_retries_total"))
    assert retries >= 1  # the gap was covered by retries, not by luck


def test_consul_outage_keeps_last_set_and_reregisters(consul_agent: ConsulAgent, stack: Stack) -> None:
    add, _ = stack
    consul_agent.stop()
    for _ in range(10):
        assert concat(add).json() == {"v": "1012"}
    time.sleep(1.0)  # let the instancer notice the outage while requests keep flowing
    assert concat(add).json() == {"v": "1012"}
    consul_agent.start()  # same ports, empty catalogue: a dev agent forgets everything
    wait_until(
        lambda: len(passing(consul_agent.addr, "trim")) == 2 and len(passing(consul_agent.addr, "add")) == 1,
        timeout=30,
        what="every service registered again after the Consul restart",
    )
    assert concat(add).json() == {"v": "1012"}
    assert "Consul" in add.log()


def test_acl_registration_and_discovery(consul_acl_agent: ConsulAgent, tmp_path: Path) -> None:
    token = consul_acl_agent.token
    assert token
    with_token = consul_env(consul_acl_agent, token)
    trim = trim_process(tmp_path, "trim-acl", env=with_token)
    add = add_process(tmp_path, env=with_token)
    anonymous = trim_process(tmp_path, "trim-anon", env=consul_env(consul_acl_agent))
    try:
        start_all(trim, add, anonymous)
        wait_until(
            lambda: len(passing(consul_acl_agent.addr, "trim", token=token)) == 1,
            timeout=15,
            what="the trim with a token registered",
        )
        wait_until(lambda: concat(add).status_code == 200, timeout=20, what="add to discover trim with its token")
        assert concat(add).json() == {"v": "1012"}
        wait_until(
            lambda: "CONSUL_HTTP_TOKEN" in anonymous.log(), timeout=20, what="a clear log line from the anonymous trim"
        )
        assert passing(consul_acl_agent.addr, "trim", token=token) == [f"trim-127.0.0.1-{trim.grpc_port}"]
    finally:
        stop_all(add, trim, anonymous)
