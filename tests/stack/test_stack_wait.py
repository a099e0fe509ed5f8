"""Waiting for the stack's readiness checks, on a fake clock."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest

from deploy.local.kitstack.wait import Check, ProgressLine, WaitFailed, wait_until


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def ready_after(clock: Clock, at: float) -> Check:
    return Check(f"ready at {at}", lambda: clock.now >= at, part=f"part-{at}")


def test_waits_until_every_check_passes_and_asks_a_passed_one_no_more() -> None:
    clock = Clock()
    asked: list[str] = []

    def once() -> bool:
        asked.append("once")
        return True

    seen: list[tuple[Sequence[str], Sequence[str]]] = []
    took = wait_until(
        [Check("once", once, "a"), ready_after(clock, 1.0)],
        timeout=10,
        clock=clock,
        sleep=clock.sleep,
        progress=lambda elapsed, done, pending: seen.append((done, pending)),
    )
    assert 1.0 <= took < 1.3
    assert asked == ["once"]
    assert seen[0] == (("once",), ("ready at 1.0",))
    assert seen[-1] == (("once", "ready at 1.0"), ())


def test_timeout_names_what_is_pending_and_the_part_to_blame() -> None:
    clock = Clock()
    with pytest.raises(WaitFailed, match=r"not ready after 5s: ready at 9.0") as info:
        wait_until([ready_after(clock, 0.0), ready_after(clock, 9.0)], timeout=5, clock=clock, sleep=clock.sleep)
    assert info.value.part == "part-9.0"
    assert 5.0 <= clock.now < 5.5


def test_an_exited_part_fails_at_once() -> None:
    clock = Clock()
    with pytest.raises(WaitFailed, match="add exited") as info:
        wait_until([ready_after(clock, 3.0)], timeout=60, exited=lambda: "add", clock=clock, sleep=clock.sleep)
    assert info.value.part == "add"
    assert clock.now == 0.0


def test_progress_without_a_terminal_prints_a_line_per_change() -> None:
    out = io.StringIO()
    line = ProgressLine(out)
    line(0.0, (), ("consul", "add"))
    line(0.2, (), ("consul", "add"))
    line(0.4, ("consul",), ("add",))
    line(0.6, ("consul", "add"), ())
    assert out.getvalue().splitlines() == [
        "[ 0.0s] ready 0/2; waiting for consul, add",
        "[ 0.4s] ready 1/2; waiting for add",
        "[ 0.6s] ready 2/2",
    ]
