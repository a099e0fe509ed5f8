from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import consul
import pytest
import requests

from kit.run.actors import Registrar as RegistrarProtocol
from kit.sd.consul import ConsulPermissionDenied, Registrar, Registration

REG = Registration(name="trim", address="127.0.0.1", port=8975, http_port=8985)


class FakeAgent:
    """The part of py-consul's client a registrar uses, as a local agent that can go down or refuse."""

    def __init__(self) -> None:
        self.services_: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.error: Exception | None = None  # raised by every call while set
        self.gate: threading.Event | None = None  # register blocks on it while set
        self.entered = threading.Event()  # set when register is called
        self.service = self

    def services(self) -> dict[str, dict[str, Any]]:
        self._call("services")
        return dict(self.services_)

    def register(self, name: str, *, service_id: str, **kwargs: Any) -> bool:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(5)
        self._call("register")
        self.services_[service_id] = {"Service": name, **kwargs}
        return True

    def deregister(self, service_id: str) -> bool:
        self._call("deregister")
        if service_id not in self.services_:
            raise consul.ConsulException(f'500 Unknown service {{"{service_id}" {{}}}}')
        del self.services_[service_id]
        return True

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.error is not None:
            raise self.error


class FakeHTTP:
    base_uri = "http://127.0.0.1:8500"


class FakeConsul:
    def __init__(self) -> None:
        self.agent = FakeAgent()
        self.http = FakeHTTP()
        self.token: str | None = None


class Stop(Exception):
    """Ends a run() loop from the fake sleep."""


def scripted_sleep(steps: list[Callable[[], None]], slept: list[float]) -> Callable[[float], Any]:
    """A sleep that returns at once, doing the next step each time, and ends run() when the steps are spent."""

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if not steps:
            raise Stop
        steps.pop(0)()

    return sleep


async def test_consul_registrar_registers_the_registration() -> None:
    fake = FakeConsul()
    registrar: RegistrarProtocol = Registrar(fake, REG)  # what kit.run needs of a registrar

    await registrar.register()

    assert fake.agent.services_ == {
        REG.id: {
            "Service": "trim",
            **{k: v for k, v in REG.register_arguments().items() if k not in ("name", "service_id")},
        }
    }


async def test_consul_registrar_names_the_token_when_acls_refuse() -> None:
    fake = FakeConsul()
    fake.agent.error = consul.ACLPermissionDenied("Permission denied: Missing service:write on trim")

    with pytest.raises(ConsulPermissionDenied, match=r"CONSUL_HTTP_TOKEN.*service:write on 'trim'") as info:
        await Registrar(fake, REG).register()
    assert "http://127.0.0.1:8500" in str(info.value)


@pytest.mark.parametrize(
    "error",
    [
        None,  # not registered: Consul answers "Unknown service"
        requests.ConnectionError("connection refused"),
        consul.ConsulException("500 rpc error"),
        consul.ACLPermissionDenied("ACL not found"),
    ],
)
async def test_consul_registrar_deregister_never_raises(error: Exception | None) -> None:
    fake = FakeConsul()
    fake.agent.error = error

    await Registrar(fake, REG).deregister()
    await Registrar(fake, REG).deregister()

    assert fake.agent.calls == ["deregister", "deregister"]


async def test_consul_registrar_deregister_removes_it() -> None:
    fake = FakeConsul()
    registrar = Registrar(fake, REG)
    await registrar.register()

    await registrar.deregister()

    assert fake.agent.services_ == {}


async def test_consul_registrar_run_registers_again_what_the_agent_lost(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeConsul()
    agent = fake.agent
    slept: list[float] = []

    def down() -> None:
        agent.services_.clear()
        agent.error = requests.ConnectionError("connection refused")

    def up() -> None:
        agent.error = None

    steps: list[Callable[[], None]] = [lambda: None, agent.services_.clear, down, lambda: None, lambda: None, up]
    registrar = Registrar(fake, REG, recheck_interval=0.5, sleep=scripted_sleep(steps, slept))

    with caplog.at_level(logging.INFO), pytest.raises(Stop):
        await registrar.run()

    assert REG.id in agent.services_
    assert agent.calls == ["services", "register"] + ["services"] + ["services", "register"] + ["services"] * 3 + [
        "services",
        "register",
    ]
    assert slept == [0.5] * 7
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Consul at http://127.0.0.1:8500 unreachable" in warnings[0]
    assert "connection refused" in warnings[0]
    assert any("is back" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("error", "level", "text"),
    [
        (
            consul.ACLPermissionDenied("ACL not found"),
            logging.ERROR,
            "set CONSUL_HTTP_TOKEN to a token with service:write",
        ),
        (requests.ConnectionError("refused"), logging.WARNING, "unreachable, will register trim-127.0.0.1-8975 again"),
        (KeyError("surprise"), logging.WARNING, "unexpected error keeping trim-127.0.0.1-8975 registered"),
    ],
)
async def test_consul_registrar_run_logs_a_lasting_failure_once(
    caplog: pytest.LogCaptureFixture, error: Exception, level: int, text: str
) -> None:
    fake = FakeConsul()
    fake.agent.error = error
    registrar = Registrar(fake, REG, sleep=scripted_sleep([lambda: None] * 3, []))

    with pytest.raises(Stop):
        await registrar.run()

    assert fake.agent.calls == ["services"] * 4
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1
    assert [r.levelno for r in caplog.records if r.levelno >= logging.WARNING] == [level]
    assert text in logged[0]


async def test_consul_registrar_run_leaves_a_deregistered_instance_out() -> None:
    fake = FakeConsul()
    registrar = Registrar(fake, REG, sleep=scripted_sleep([lambda: None] * 2, []))
    await registrar.register()
    await registrar.deregister()

    with pytest.raises(Stop):
        await registrar.run()

    assert fake.agent.services_ == {}
    assert fake.agent.calls == ["register", "deregister"]


async def test_consul_registrar_deregister_waits_for_a_cancelled_registration() -> None:
    # Shutdown cancels run() while its registration may still be on its way; deregister() must come after it.
    fake = FakeConsul()
    fake.agent.gate = threading.Event()
    registrar = Registrar(fake, REG)
    run = asyncio.create_task(registrar.run())
    assert await asyncio.to_thread(fake.agent.entered.wait, 5)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    deregister = asyncio.create_task(registrar.deregister())
    await asyncio.sleep(0)
    assert not deregister.done()
    fake.agent.gate.set()
    await asyncio.wait_for(deregister, 5)

    assert fake.agent.calls == ["services", "register", "deregister"]
    assert fake.agent.services_ == {}
