"""ConsulInstancer's grace after Consul comes back empty: a restarted agent (its index went backwards) or the first
answer after an outage may lack instances only because they have not registered again; those are kept for `grace`,
while an instance that leaves as Consul's index moves on is dropped at once. Time is the test's: the grace ends when
the test says so."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import requests

from kit.sd import Event
from kit.sd.consul import ConsulInstancer
from support.fake_consul import FakeConsul, Started, entry

GRACE = 30.0
ONE, TWO = "127.0.0.1:1", "127.0.0.1:2"
DOWN = requests.ConnectionError("Connection refused")


class Time:
    """The instancer's sleep: backoff sleeps return at once (and are recorded); the grace's sleep returns when the
    test calls `pass_grace()`."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.graces = 0
        self._passed = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds == GRACE:
            self.graces += 1
            await self._passed.wait()

    def pass_grace(self) -> None:
        self._passed.set()


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    @property
    def sets(self) -> list[tuple[str, ...]]:
        return [e.instances for e in self.events if e.error is None]

    async def until(self, predicate: Callable[[list[tuple[str, ...]]], bool]) -> None:
        async with asyncio.timeout(2):
            while not predicate(self.sets):
                self._changed.clear()
                await self._changed.wait()


async def follow(started: Started, answers: list[Any], time: Time, **options: Any) -> Recorder:
    """Starts an instancer on `answers`, waits until it has read all of them (its next query blocks)."""
    fake = FakeConsul(answers)
    instancer = ConsulInstancer(fake, "trim", grace=options.pop("grace", GRACE), sleep=time.sleep, **options)
    started.append((instancer, fake))
    await instancer.start()
    recorder = Recorder()
    instancer.register(recorder)
    assert await asyncio.to_thread(fake.health.blocked.wait, 2)
    await asyncio.sleep(0)
    return recorder


async def test_a_restarted_consul_that_answers_empty_keeps_the_known_set_for_the_grace(started: Started) -> None:
    time = Time()
    recorder = await follow(started, [("50", [entry(1), entry(2)]), ("3", []), ("4", [entry(1)])], time)

    assert recorder.sets[-1] == (ONE, TWO)  # ONE came back, TWO has not yet: both kept
    assert time.graces == 1

    time.pass_grace()
    await recorder.until(lambda sets: sets[-1] == (ONE,))  # TWO never came back: dropped when the grace ends


async def test_an_empty_answer_right_after_an_outage_is_not_believed(started: Started) -> None:
    time = Time()
    recorder = await follow(started, [("10", [entry(1), entry(2)]), DOWN, DOWN, ("11", [])], time)

    assert recorder.sets[-1] == (ONE, TWO)
    assert () not in recorder.sets


async def test_instances_that_register_again_end_the_hold(started: Started) -> None:
    time = Time()
    both = [entry(1), entry(2)]
    answers = [("50", both), ("3", []), ("4", [entry(2)]), ("5", both), ("6", [entry(1)])]
    recorder = await follow(started, answers, time)

    # Back in full at index 5, so the hold is over: TWO leaving at index 6 is Consul's word (critical) and believed.
    assert recorder.sets[-1] == (ONE,)
    assert () not in recorder.sets


async def test_an_instance_that_goes_critical_while_consul_runs_is_dropped_at_once(started: Started) -> None:
    time = Time()
    recorder = await follow(started, [("10", [entry(1), entry(2)]), ("11", [entry(1)]), ("12", [])], time)

    assert recorder.sets == [(ONE, TWO), (ONE,), ()]
    assert time.graces == 0


async def test_no_grace_believes_a_restarted_consul_at_once(started: Started) -> None:
    time = Time()
    recorder = await follow(started, [("50", [entry(1), entry(2)]), ("3", [])], time, grace=0)

    assert recorder.sets[-1] == ()
    assert time.graces == 0


async def test_a_second_suspect_answer_during_the_hold_keeps_one_grace(started: Started) -> None:
    time = Time()
    answers = [("50", [entry(1), entry(2)]), ("3", []), DOWN, ("2", [])]
    recorder = await follow(started, answers, time)

    assert recorder.sets[-1] == (ONE, TWO)
    assert time.graces == 1  # the grace runs from the first suspect answer, not renewed by each
    time.pass_grace()
    await recorder.until(lambda sets: sets[-1] == ())
