"""The Consul registrar and instancer against a real Consul 1.8 agent in dev mode, checking real servers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import consul
import pytest

from kit.sd import Event
from kit.sd.consul import ConsulInstancer, ConsulPermissionDenied, Registrar, Registration
from support.live_consul import client, grpc_health_server, http_health_server, passing, registration, until

if TYPE_CHECKING:
    from integration.consul_agent import ConsulAgent

pytestmark = pytest.mark.integration

INSTANCER_LOG = "kit.sd.consul.instancer"
REGISTRAR_LOG = "kit.sd.consul.registrar"


class Recorder:
    """An instancer listener keeping each event with the time it arrived."""

    def __init__(self) -> None:
        self.events: list[tuple[float, Event]] = []

    def __call__(self, event: Event) -> None:
        self.events.append((time.monotonic(), event))

    def first(self, predicate: Callable[[Event], bool]) -> float | None:
        return next((at for at, event in self.events if predicate(event)), None)


@pytest.mark.parametrize("check", ["grpc", "http"])
async def test_consul_registrar_registers_an_instance_consul_checks(
    consul_agent: ConsulAgent, check: Literal["grpc", "http"]
) -> None:
    observer = client(consul_agent.addr)
    with http_health_server() as http_port:
        async with grpc_health_server() as port:
            reg = registration(port, http_port, check)
            registrar = Registrar(client(consul_agent.addr), reg)
            await registrar.register()
            await until("the instance passes its check", lambda: reg.id in passing(observer))

            service = observer.agent.services()[reg.id]
            assert (service["Service"], service["Address"], service["Port"]) == ("trim", "127.0.0.1", port)
            assert service["Tags"] == ["grpc", "http"]
            assert service["Meta"] == {"http_port": str(http_port)}
            agent_check = observer.agent.checks()[f"service:{reg.id}"]
            assert (agent_check["Type"], agent_check["Status"], agent_check["ServiceID"]) == (check, "passing", reg.id)

            await registrar.deregister()
            assert reg.id not in observer.agent.services()
            assert passing(observer) == set()
            await registrar.deregister()  # again: nothing to do, no error


async def test_consul_agent_reads_deregister_critical_service_after(consul_agent: ConsulAgent) -> None:
    # Consul 1.8.7 shows the value nowhere in its API and reaps at most once a minute, too slow for a test: that
    # the agent parses the field shows it reached it, as a value it cannot parse is refused.
    agent = client(consul_agent.addr)
    await Registrar(agent, registration(1)).register()
    bad = Registration(name="trim", address="127.0.0.1", port=2, http_port=3, deregister_after="soon")

    with pytest.raises(consul.ConsulException, match='invalid duration "soon"'):
        await Registrar(agent, bad).register()


async def test_consul_registrar_run_registers_again_after_consul_restarts(
    consul_agent: ConsulAgent, caplog: pytest.LogCaptureFixture
) -> None:
    observer = client(consul_agent.addr)
    async with grpc_health_server() as port:
        reg = registration(port)
        registrar = Registrar(client(consul_agent.addr), reg, recheck_interval=0.2)
        await registrar.register()
        run = asyncio.create_task(registrar.run())
        try:
            await until("registered", lambda: reg.id in passing(observer))
            with caplog.at_level(logging.INFO):
                await asyncio.to_thread(consul_agent.stop)
                await asyncio.sleep(0.6)  # rechecks fail meanwhile
                await asyncio.to_thread(consul_agent.start)
                await until("registered again after the restart", lambda: reg.id in passing(observer))
        finally:
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
        await registrar.deregister()

    warnings = [r.getMessage() for r in caplog.records if r.name == REGISTRAR_LOG and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"Consul at http://{consul_agent.addr} unreachable" in warnings[0]
    assert any("the agent did not have it" in r.getMessage() for r in caplog.records)


async def test_consul_instancer_sees_instances_come_and_go(consul_agent: ConsulAgent) -> None:
    observer = client(consul_agent.addr)
    async with grpc_health_server() as port_a, grpc_health_server() as port_b:
        a, b = registration(port_a), registration(port_b)
        registrar_a = Registrar(client(consul_agent.addr), a)
        registrar_b = Registrar(client(consul_agent.addr), b)
        await registrar_a.register()
        await until("a passes", lambda: a.id in passing(observer))
        instancer = ConsulInstancer(client(consul_agent.addr), "trim")
        await instancer.start()
        try:
            recorder = Recorder()
            instancer.register(recorder)
            only_a, both = (f"127.0.0.1:{port_a}",), tuple(sorted([f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}"]))
            assert recorder.events[0][1] == Event(instances=only_a)

            await registrar_b.register()
            passed = await until("b passes", lambda: b.id in passing(observer))
            seen = await until(
                "the instancer sees b", lambda: recorder.first(lambda e: e.instances == both) is not None
            )
            # Within about a second on an idle machine; the bound leaves room for a busy one.
            assert (recorder.first(lambda e: e.instances == both) or seen) - passed < 15.0

            await registrar_b.deregister()
            gone = time.monotonic()
            await until("the instancer drops b", lambda: recorder.events[-1][1] == Event(instances=only_a), within=15)
            assert recorder.events[-1][0] - gone < 15.0
        finally:
            await instancer.stop()


async def test_consul_instancer_keeps_the_last_set_while_consul_is_down(
    consul_agent: ConsulAgent, caplog: pytest.LogCaptureFixture
) -> None:
    async with grpc_health_server() as port:
        reg = registration(port)
        registrar = Registrar(client(consul_agent.addr), reg, recheck_interval=0.2)
        run = asyncio.create_task(registrar.run())
        instancer = ConsulInstancer(client(consul_agent.addr), "trim", backoff_max=0.2)
        recorder = Recorder()
        instancer.register(recorder)
        await instancer.start()
        try:
            known = (f"127.0.0.1:{port}",)
            await until("the instancer sees it", lambda: instancer.state == Event(instances=known))
            with caplog.at_level(logging.INFO, logger=INSTANCER_LOG):
                await asyncio.to_thread(consul_agent.stop)
                await until("an error event", lambda: recorder.first(lambda e: e.error is not None) is not None)
                await asyncio.sleep(1.0)  # several retries fail meanwhile
                assert instancer.state.instances == known
                assert instancer.state.error is not None

                await asyncio.to_thread(consul_agent.start)
                await until("the instancer follows again", lambda: instancer.state == Event(instances=known))
            async with asyncio.timeout(1):
                await instancer.stop()
        finally:
            run.cancel()
            await asyncio.gather(run, instancer.stop(), return_exceptions=True)

    logs = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == INSTANCER_LOG]
    warnings = [message for level, message in logs if level == logging.WARNING]
    assert len(warnings) == 1
    assert f"Consul at http://{consul_agent.addr} unreachable, keeping the last known instances" in warnings[0]
    assert any(level == logging.INFO and "is back" in message for level, message in logs)


async def test_consul_acl_register_and_discover_with_the_token(consul_acl_agent: ConsulAgent) -> None:
    addr, token = consul_acl_agent.addr, consul_acl_agent.token
    async with grpc_health_server() as port:
        reg = registration(port)
        await Registrar(client(addr, token), reg).register()
        instancer = ConsulInstancer(client(addr, token), "trim")
        await instancer.start()
        try:
            await until("discovered", lambda: instancer.state == Event(instances=(f"127.0.0.1:{port}",)))
        finally:
            await instancer.stop()


@pytest.mark.parametrize(
    ("token", "log_line"),
    [
        (None, "enforces ACLs and CONSUL_HTTP_TOKEN is not set: instances of service 'trim' may be hidden"),
        ("00000000-0000-0000-0000-000000000009", "permission denied reading service 'trim' from Consul: set CONSUL"),
    ],
)
async def test_consul_acl_without_a_valid_token_fails_clearly(
    consul_acl_agent: ConsulAgent, caplog: pytest.LogCaptureFixture, token: str | None, log_line: str
) -> None:
    addr = consul_acl_agent.addr
    observer = client(addr, consul_acl_agent.token)
    async with grpc_health_server() as port:
        reg = registration(port)
        with pytest.raises(ConsulPermissionDenied, match="set CONSUL_HTTP_TOKEN"):
            await Registrar(client(addr, token), reg).register()
        await Registrar(observer, reg).register()
        await until("registered with the token", lambda: reg.id in passing(observer))

        instancer = ConsulInstancer(client(addr, token), "trim")
        await instancer.start()
        await instancer.stop()

    assert instancer.state.instances == ()
    assert isinstance(instancer.state.error, ConsulPermissionDenied) == (token is not None)
    errors = [r.getMessage() for r in caplog.records if r.name == INSTANCER_LOG and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert log_line in errors[0]
