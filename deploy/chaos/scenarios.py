"""The scenarios of `make chaos` and `tests/chaos`: one fault each, injected while 16 connections load /concat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from deploy.chaos import faults
from deploy.chaos.load import Result, first_answer_after, load
from deploy.chaos.scrape import Counts, counts

BODY: dict[str, object] = {"a": "1 0 1", "b": "2"}


@dataclass
class Target:
    """The running stack as the scenarios see it: add's HTTP address, the trims' PIDs, and how to start a part
    again (`"add"`, or a trim by its index from 0) with extra environment variables, waiting until it serves."""

    add_url: str
    trim_pids: Callable[[], Sequence[int]]
    restart: Callable[[str | int, dict[str, str]], Awaitable[None]]


@dataclass
class Outcome:
    """What one scenario measured."""

    name: str
    result: Result
    counts: Counts
    seconds: float
    notes: dict[str, float | None] = field(default_factory=dict)
    window: tuple[float, float] | None = None  # when the fault held (monotonic seconds), for a pause

    def row(self) -> list[str]:
        failed = len(self.result.failed)
        return [
            self.name,
            str(len(self.result.requests)),
            str(failed),
            f"{self.result.percentile(50):.1f}",
            f"{self.result.percentile(99):.1f}",
            f"{self.counts.retries:.0f}",
            f"{self.counts.hedges:.0f}",
            f"{self.counts.shed:.0f}",
            ", ".join(f"{k} {v:.3f}" if v is not None else f"{k} none" for k, v in self.notes.items()),
        ]


Fault = Callable[[Target], Awaitable[dict[str, float | None]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    seconds: float = 6.0  # of load; the fault starts after `lead`
    lead: float = 1.5
    connections: int = 16


async def _nothing(target: Target) -> dict[str, float | None]:
    return {}


async def _pause_all(seconds: float, target: Target) -> dict[str, float | None]:
    paused = time.monotonic()
    resumed = await faults.pause(target.trim_pids(), seconds)
    return {"paused_at": paused, "resumed_at": resumed}


def pause_all(seconds: float) -> Fault:
    async def fault(target: Target) -> dict[str, float | None]:
        return await _pause_all(seconds, target)

    return fault


def pause_one(seconds: float) -> Fault:
    async def fault(target: Target) -> dict[str, float | None]:
        await faults.pause(target.trim_pids()[:1], seconds)
        return {}

    return fault


def burn(seconds: float) -> Fault:
    async def fault(target: Target) -> dict[str, float | None]:
        await faults.burn(seconds)
        return {}

    return fault


async def kill_one(target: Target) -> dict[str, float | None]:
    faults.kill(target.trim_pids()[0])
    return {}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("no fault", _nothing),
    Scenario("both trims paused 0.2 s", pause_all(0.2)),
    Scenario("both trims paused 1 s", pause_all(1.0)),
    Scenario("CPU burnt on both cores 5 s", burn(5.0), seconds=8.0),
    Scenario("one trim paused 5 s", pause_one(5.0), seconds=8.0),
    Scenario("one trim killed (kill -9)", kill_one),
)


async def run(scenario: Scenario, target: Target) -> Outcome:
    """Loads /concat for the scenario's time, injecting its fault after the lead; then heals the target."""
    before = await asyncio.to_thread(counts, target.add_url)
    started = time.monotonic()
    loading = asyncio.create_task(
        load(f"{target.add_url}/concat", body=BODY, seconds=scenario.seconds, connections=scenario.connections)
    )
    await asyncio.sleep(scenario.lead)
    notes = await scenario.fault(target)
    result = await loading
    elapsed = time.monotonic() - started
    after = await asyncio.to_thread(counts, target.add_url)
    paused, resumed = notes.pop("paused_at", None), notes.pop("resumed_at", None)
    window = None
    if paused is not None and resumed is not None:
        window = (paused, resumed)
        notes["answering again after"] = first_answer_after(result, resumed)
    if scenario.fault is kill_one:
        await target.restart(0, {})
    return Outcome(scenario.name, result, after - before, elapsed, notes, window)


def slow_trim(hedge: str) -> Scenario:
    """One trim answering every call 200 ms late (TRIM_DELAY), with add's hedging as `hedge` says (ADD_HEDGE)."""
    return Scenario(f"one trim slowed to 200 ms, hedging {hedge}", _nothing, seconds=6.0, lead=0.0)


async def run_slow(target: Target, hedge: str) -> Outcome:
    """Restarts add with ADD_HEDGE=`hedge` and the second trim with TRIM_DELAY=0.2, loads, then undoes both."""
    await target.restart("add", {"ADD_HEDGE": hedge})
    await target.restart(1, {"TRIM_DELAY": "0.2"})
    try:
        return await run(slow_trim(hedge), target)
    finally:
        await target.restart(1, {})
        await target.restart("add", {})


HEADER = ["scenario", "requests", "failed", "p50 ms", "p99 ms", "retries", "hedges", "shed", "notes"]


def table(outcomes: Sequence[Outcome], extra: Sequence[Sequence[str]] = ()) -> str:
    """The outcomes, then `extra` rows of the same columns, as a Markdown table."""
    rows = [HEADER, ["---"] * len(HEADER), *(o.row() for o in outcomes), *extra]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)
