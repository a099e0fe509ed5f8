"""DefaultEndpointer and FixedEndpointer: factory and closers, error events, instance counts."""

from __future__ import annotations

import asyncio
from typing import Any

import kit.sd
from kit.sd import DefaultEndpointer, Event, FixedEndpointer, InstanceEndpoint, Listener
from support.clock import FakeClock


class FakeInstancer:
    def __init__(self, *instances: str) -> None:
        self.state = Event(instances=instances)
        self.listeners: list[Listener] = []

    def register(self, listener: Listener) -> None:
        self.listeners.append(listener)
        listener(self.state)

    def deregister(self, listener: Listener) -> None:
        self.listeners.remove(listener)

    async def stop(self) -> None:
        self.listeners.clear()

    def send(self, *instances: str, error: Exception | None = None) -> None:
        self.state = Event(instances=instances, error=error)
        for listener in list(self.listeners):
            listener(self.state)


class FakeFactory:
    """Makes endpoints that answer with their instance name, or raise what `failures` says for that instance."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.closed: list[str] = []
        self.failures: dict[str, Exception] = {}
        self.broken: set[str] = set()

    def __call__(self, instance: str) -> tuple[Any, Any]:
        if instance in self.broken:
            raise RuntimeError(f"cannot dial {instance}")
        self.made.append(instance)

        async def endpoint(request: Any) -> Any:
            failure = self.failures.get(instance)
            if failure is not None:
                raise failure
            return instance

        async def closer() -> None:
            await asyncio.sleep(0)
            self.closed.append(instance)

        return endpoint, closer


def names(endpointer: DefaultEndpointer[Any, Any]) -> list[str]:
    return [e.instance for e in endpointer.endpoints()]


async def call_all(endpointer: DefaultEndpointer[Any, Any]) -> list[Any]:
    return [await e.endpoint("req") for e in endpointer.endpoints()]


def make(
    *instances: str, **options: Any
) -> tuple[FakeInstancer, FakeFactory, FakeClock, DefaultEndpointer[Any, Any], list[int]]:
    instancer, factory, clock = FakeInstancer(*instances), FakeFactory(), FakeClock(1000.0)
    counts: list[int] = []
    endpointer = DefaultEndpointer(instancer, factory, clock=clock, on_instances=counts.append, **options)
    return instancer, factory, clock, endpointer, counts


def test_package_exports_endpointers() -> None:
    for name in ("Closer", "DefaultEndpointer", "Endpointer", "Factory", "FixedEndpointer", "InstanceEndpoint"):
        assert name in kit.sd.__all__
        assert hasattr(kit.sd, name)


async def test_fixed_endpointer_hands_out_what_it_was_given() -> None:
    async def ep(request: Any) -> Any:
        return request

    given = [InstanceEndpoint("b:2", ep), InstanceEndpoint("a:1", ep)]
    assert list(FixedEndpointer(given).endpoints()) == given


async def test_creates_endpoints_via_factory_sorted_by_instance() -> None:
    _, factory, _, endpointer, counts = make("b:2", "a:1", "a:1")
    assert factory.made == ["a:1", "b:2"]
    assert names(endpointer) == ["a:1", "b:2"]
    assert await call_all(endpointer) == ["a:1", "b:2"]
    assert counts == [2]


async def test_endpoints_is_a_cached_tuple() -> None:
    _, _, _, endpointer, _ = make("a:1", "b:2")
    assert endpointer.endpoints() is endpointer.endpoints()


async def test_keeps_survivors_makes_newcomers_and_closes_the_departed() -> None:
    instancer, factory, _, endpointer, counts = make("a:1", "b:2")
    before = {e.instance: e.endpoint for e in endpointer.endpoints()}
    instancer.send("b:2", "c:3")
    assert names(endpointer) == ["b:2", "c:3"]
    assert factory.made == ["a:1", "b:2", "c:3"]
    assert endpointer.endpoints()[0].endpoint is before["b:2"]
    await endpointer.close()  # waits for the closers started by the event, then closes the rest
    assert sorted(factory.closed) == ["a:1", "b:2", "c:3"]
    assert counts == [2, 2, 0]


async def test_closer_of_a_departed_instance_runs_without_close() -> None:
    instancer, factory, _, endpointer, _ = make("a:1", "b:2")
    instancer.send("b:2")
    for _ in range(5):
        await asyncio.sleep(0)
    assert factory.closed == ["a:1"]
    await endpointer.close()


async def test_departures_before_an_event_loop_runs_are_closed_by_close() -> None:
    instancer, factory = FakeInstancer("a:1", "b:2"), FakeFactory()
    endpointer = await asyncio.to_thread(lambda: DefaultEndpointer(instancer, factory))
    await asyncio.to_thread(instancer.send, "b:2")
    assert factory.closed == []
    await endpointer.close()
    assert sorted(factory.closed) == ["a:1", "b:2"]


async def test_a_failing_factory_leaves_only_that_instance_out() -> None:
    instancer, factory = FakeInstancer(), FakeFactory()
    factory.broken.add("a:1")
    endpointer = DefaultEndpointer(instancer, factory)
    instancer.send("a:1", "b:2")
    assert names(endpointer) == ["b:2"]
    factory.broken.clear()
    instancer.send("a:1", "b:2", "c:3")
    assert names(endpointer) == ["a:1", "b:2", "c:3"]


async def test_close_deregisters_and_empties() -> None:
    instancer, factory, _, endpointer, _ = make("a:1")
    await endpointer.close()
    assert instancer.listeners == []
    assert endpointer.endpoints() == ()
    instancer.send("a:1", "b:2")
    await endpointer.close()  # twice is harmless
    assert endpointer.endpoints() == ()
    assert factory.made == ["a:1"]
    assert factory.closed == ["a:1"]


async def test_keeps_last_endpoints_on_error_events() -> None:
    instancer, factory, clock, endpointer, _ = make("a:1", "b:2")
    instancer.send(error=RuntimeError("consul down"))
    clock.now += 3600
    assert names(endpointer) == ["a:1", "b:2"]
    assert factory.closed == []


async def test_invalidate_on_error_drops_endpoints_after_the_delay() -> None:
    instancer, factory, clock, endpointer, counts = make("a:1", "b:2", invalidate_on_error=5.0)
    instancer.send(error=RuntimeError("consul down"))
    clock.now += 3
    instancer.send(error=RuntimeError("still down"))  # does not restart the delay
    clock.now += 1.9
    assert names(endpointer) == ["a:1", "b:2"]
    clock.now += 0.1
    assert endpointer.endpoints() == ()
    assert counts[-1] == 0
    instancer.send("a:1")
    assert names(endpointer) == ["a:1"]
    await endpointer.close()
    assert factory.closed == ["a:1", "b:2", "a:1"]


async def test_a_good_event_cancels_invalidation() -> None:
    instancer, _, clock, endpointer, _ = make("a:1", invalidate_on_error=5.0)
    instancer.send(error=RuntimeError("blip"))
    clock.now += 4
    instancer.send("a:1")
    clock.now += 100
    assert names(endpointer) == ["a:1"]


async def test_on_instances_hears_every_change() -> None:
    instancer, _, _, endpointer, counts = make("a:1")
    instancer.send("a:1", "b:2", "c:3")
    instancer.send(error=RuntimeError("blip"))
    instancer.send()
    await endpointer.close()
    assert counts == [1, 3, 0, 0]
