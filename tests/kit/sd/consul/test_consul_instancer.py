"""ConsulInstancer over a scripted Consul health API: the set before start returns, blocking queries, outages,
ACL refusals, stopping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import consul
import pytest
import requests

from kit.sd import Event, Instancer
from kit.sd.consul import ConsulInstancer, ConsulPermissionDenied, instances_of
from support.fake_consul import Entry, FakeConsul, Started, entry


class Recorder:
    """A listener that keeps every event and lets the test wait for one, without sleeping."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def until(self, predicate: Callable[[list[Event]], bool]) -> None:
        async with asyncio.timeout(2):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()


def no_wait(slept: list[float]) -> Callable[[float], Any]:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return sleep


async def start(instancers: Started, fake: FakeConsul, **options: Any) -> ConsulInstancer:
    instancer = ConsulInstancer(fake, "trim", **options)
    instancers.append((instancer, fake))
    await instancer.start()
    return instancer


@pytest.mark.parametrize(
    ("entries", "want"),
    [
        ([], ()),
        ([entry(2), entry(1)], ("127.0.0.1:1", "127.0.0.1:2")),
        ([entry(5, address="")], ("10.0.0.9:5",)),  # no service address: the node's
        ([entry(5, address="::1")], ("[::1]:5",)),
        ([entry(5), entry(5)], ("127.0.0.1:5",)),
    ],
)
def test_consul_instances_of_health_entries(entries: list[Entry], want: tuple[str, ...]) -> None:
    assert instances_of(entries) == want


async def test_consul_instancer_reads_the_set_before_start_returns(started: Started) -> None:
    fake = FakeConsul([("7", [entry(8976), entry(8975)])])
    instancer: Instancer = await start(started, fake)
    events: list[Event] = []

    instancer.register(events.append)

    assert events == [Event(instances=("127.0.0.1:8975", "127.0.0.1:8976"))]
    assert fake.health.queries[0] == {"service": "trim", "index": None, "wait": "5s", "passing": True, "tag": None}


async def test_consul_instancer_follows_with_blocking_queries(started: Started) -> None:
    fake = FakeConsul([("7", [entry(1)]), ("9", [entry(1), entry(2)]), ("9", [entry(1), entry(2)]), ("12", [])])
    instancer = await start(started, fake, tag="grpc", wait="3s", passing_only=False)
    recorder = Recorder()
    instancer.register(recorder)

    await recorder.until(lambda events: len(events) == 3)
    assert await asyncio.to_thread(fake.health.blocked.wait, 2)

    assert [e.instances for e in recorder.events] == [("127.0.0.1:1",), ("127.0.0.1:1", "127.0.0.1:2"), ()]
    assert [(q["index"], q["wait"], q["tag"], q["passing"]) for q in fake.health.queries] == [
        (None, "3s", "grpc", False),
        ("7", "3s", "grpc", False),
        ("9", "3s", "grpc", False),
        ("9", "3s", "grpc", False),
        ("12", "3s", "grpc", False),
    ]


async def test_consul_instancer_resets_an_index_that_goes_backwards(started: Started) -> None:
    fake = FakeConsul([("50", [entry(1)]), ("3", [entry(1)]), ("4", [entry(1)])])
    await start(started, fake)

    assert await asyncio.to_thread(fake.health.blocked.wait, 2)

    assert [q["index"] for q in fake.health.queries] == [None, "50", None, "4"]


async def test_consul_instancer_keeps_the_last_set_through_an_outage(
    started: Started, caplog: pytest.LogCaptureFixture
) -> None:
    down = requests.ConnectionError("Connection refused")
    fake = FakeConsul([("10", [entry(1)]), down, down, down, down, ("3", [entry(1), entry(2)])])
    slept: list[float] = []
    with caplog.at_level(logging.INFO):
        instancer = await start(started, fake, backoff_initial=0.1, backoff_max=0.3, sleep=no_wait(slept))
        recorder = Recorder()
        instancer.register(recorder)
        await recorder.until(lambda events: len(events) == 3)

    first, failed, back = recorder.events
    assert first == Event(instances=("127.0.0.1:1",))
    assert failed.instances == ("127.0.0.1:1",)
    assert failed.error is down
    assert back == Event(instances=("127.0.0.1:1", "127.0.0.1:2"))
    assert slept == pytest.approx([0.1, 0.2, 0.3, 0.3])
    assert [q["index"] for q in fake.health.queries[:6]] == [None, "10", None, None, None, None]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Consul at http://127.0.0.1:8500 unreachable, keeping the last known instances of 'trim': Connection refused"
    ]
    assert any("is back" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


async def test_consul_instancer_starts_while_consul_is_down(started: Started) -> None:
    fake = FakeConsul([requests.ConnectionError("refused"), ("5", [entry(1)])])
    instancer = await start(started, fake, sleep=no_wait([]))
    recorder = Recorder()

    instancer.register(recorder)
    await recorder.until(lambda events: len(events) == 2)

    assert isinstance(recorder.events[0].error, requests.ConnectionError)
    assert recorder.events[1] == Event(instances=("127.0.0.1:1",))


async def test_consul_instancer_reports_acl_refusal_once(started: Started, caplog: pytest.LogCaptureFixture) -> None:
    denied = consul.ACLPermissionDenied("ACL not found")
    fake = FakeConsul([denied, denied, denied], token="wrong")
    instancer = await start(started, fake, sleep=no_wait([]))
    recorder = Recorder()
    instancer.register(recorder)

    assert await asyncio.to_thread(fake.health.blocked.wait, 2)

    assert len(recorder.events) == 1
    assert isinstance(recorder.events[0].error, ConsulPermissionDenied)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "permission denied reading service 'trim' from Consul: set CONSUL_HTTP_TOKEN" in errors[0]
    assert "ACL not found" in errors[0]


@pytest.mark.parametrize(
    ("token", "acl_error", "explained"),
    [
        (None, consul.ACLPermissionDenied("ACL not found"), True),  # ACLs on, anonymous: reads are filtered
        (None, consul.ACLDisabled("ACL support disabled"), False),
        ("s3cret", consul.ACLPermissionDenied("ACL not found"), False),  # a token: not asked
    ],
)
async def test_consul_instancer_explains_an_empty_set_hidden_by_acls(
    started: Started,
    caplog: pytest.LogCaptureFixture,
    token: str | None,
    acl_error: Exception,
    explained: bool,
) -> None:
    fake = FakeConsul([("1", []), ("2", [])], token=token, acl_error=acl_error)
    await start(started, fake)
    assert await asyncio.to_thread(fake.health.blocked.wait, 2)

    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == (
        [
            "Consul at http://127.0.0.1:8500 enforces ACLs and CONSUL_HTTP_TOKEN is not set: instances of service "
            "'trim' may be hidden from this anonymous reader; set CONSUL_HTTP_TOKEN"
        ]
        if explained
        else []
    )
    assert fake.acl.token.reads == (0 if token else 1)


async def test_consul_instancer_stop_does_not_wait_for_a_blocked_query() -> None:
    fake = FakeConsul([("7", [entry(1)])])
    instancer = ConsulInstancer(fake, "trim")
    await instancer.start()
    recorder = Recorder()
    instancer.register(recorder)
    assert await asyncio.to_thread(fake.health.blocked.wait, 2)

    async with asyncio.timeout(1):
        await instancer.stop()
    fake.health.release.set()  # the query fails now; nobody hears of it

    assert recorder.events == [Event(instances=("127.0.0.1:1",))]
    assert len(fake.health.queries) == 2


async def test_consul_instancer_starts_once(started: Started) -> None:
    instancer = await start(started, FakeConsul([("1", [])]))

    with pytest.raises(RuntimeError, match="already started"):
        await instancer.start()
