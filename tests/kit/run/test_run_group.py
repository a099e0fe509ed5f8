"""kit.run.Group: the first actor to return interrupts every actor, in the order they were added."""

from __future__ import annotations

import asyncio

import pytest

from kit.run import Actor, Group, Serving, background, serving


def waiting(name: str, events: list[str]) -> Actor:
    """An actor that runs until interrupted, writing down what happens to it."""
    interrupted = asyncio.Event()

    async def execute() -> None:
        events.append(f"{name} started")
        await interrupted.wait()
        events.append(f"{name} returned")

    async def interrupt() -> None:
        events.append(f"{name} interrupted")
        await asyncio.sleep(0)  # an interrupt may take time; the next one waits for it
        interrupted.set()

    return Actor(execute, interrupt, name)


def returning(name: str, events: list[str], error: Exception | None = None) -> Actor:
    async def execute() -> None:
        events.append(f"{name} started")
        await asyncio.sleep(0)
        if error is not None:
            raise error

    async def interrupt() -> None:
        events.append(f"{name} interrupted")

    return Actor(execute, interrupt, name)


async def test_the_first_to_return_interrupts_all_in_the_order_added() -> None:
    events: list[str] = []
    group = Group()
    group.add(waiting("a", events))
    group.add(returning("b", events))
    group.add(waiting("c", events))
    await group.run()
    assert events[:3] == ["a started", "b started", "c started"]
    interrupts = [e for e in events if e.endswith("interrupted")]
    assert interrupts == ["a interrupted", "b interrupted", "c interrupted"]
    assert {"a returned", "c returned"} <= set(events)


async def test_run_raises_what_the_first_actor_raised() -> None:
    events: list[str] = []
    group = Group()
    group.add(waiting("a", events))
    group.add(returning("b", events, error=OSError("port in use")))
    with pytest.raises(OSError, match="port in use"):
        await group.run()
    assert "a returned" in events


async def test_a_failing_interrupt_does_not_stop_the_others() -> None:
    events: list[str] = []

    async def bad_interrupt() -> None:
        raise RuntimeError("boom")

    group = Group()
    group.add(Actor(returning("x", events).execute, bad_interrupt, "x"))
    group.add(waiting("a", events))
    await group.run()
    assert "a returned" in events


async def test_cancelling_run_still_interrupts_every_actor() -> None:
    events: list[str] = []
    group = Group()
    group.add(waiting("a", events))
    group.add(waiting("b", events))
    task = asyncio.create_task(group.run())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert {"a returned", "b returned"} <= set(events)


async def test_an_empty_group_returns_at_once() -> None:
    await Group().run()


async def test_background_work_is_cancelled_then_followed_by_its_last_step() -> None:
    events: list[str] = []

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            events.append("work cancelled")

    async def then() -> None:
        events.append("then")

    group = Group()
    group.add(returning("stop", events))
    group.add(background(work, name="loop", then=then))
    await group.run()
    assert events[-2:] == ["work cancelled", "then"]


async def test_serving_is_true_while_the_group_runs_and_false_from_the_first_interrupt() -> None:
    flag = Serving()
    seen: list[bool] = []
    flag.listen(seen.append)
    release = asyncio.Event()

    async def execute() -> None:
        await asyncio.sleep(0)
        seen.append(flag.is_serving())
        await release.wait()

    async def interrupt() -> None:
        release.set()

    group = Group()
    group.add(serving(flag))
    group.add(Actor(execute, interrupt, "work"))
    task = asyncio.create_task(group.run())
    await asyncio.sleep(0.01)
    release.set()
    await task
    assert seen == [False, True, True, False]
