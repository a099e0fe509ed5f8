"""A `kit.overload.Shedder` driven by hand: its loop lag set by a test, its time from a fake clock, and intervals of
requests that run together."""

from __future__ import annotations

from kit.overload import ShedConfig, Shedder
from support.clock import FakeClock


class Lag:
    """The loop lag, set by hand."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def make(**knobs: float) -> tuple[Shedder, Lag, FakeClock]:
    lag, clock = Lag(), FakeClock()
    cfg = ShedConfig(**knobs)  # type: ignore[arg-type]
    return Shedder(cfg, lag=lag, clock=clock), lag, clock


def interval(shedder: Shedder, clock: FakeClock, *, in_flight: int, seconds: float) -> None:
    """One interval in which `in_flight` requests run together, each taking `seconds`, and complete."""
    shedder.should_shed()  # reads the lag, as every request does
    starts = [shedder.admitted() for _ in range(in_flight)]
    clock.advance(shedder.cfg.interval)
    for started in starts:
        shedder.done(started + shedder.cfg.interval - seconds, completed=True)


def turn_over(shedder: Shedder, clock: FakeClock, *, in_flight: int, seconds: float) -> None:
    """One interval in which `in_flight` requests run together and turn over: each completes and is replaced, so
    that as many complete within the interval as are in flight, each after `seconds`."""
    shedder.should_shed()
    starts = [shedder.admitted() for _ in range(in_flight)]
    clock.advance(seconds)
    for started in starts[:-1]:
        shedder.done(started, completed=True)
        shedder.admitted()
    clock.advance(shedder.cfg.interval - seconds)
    shedder.done(starts[-1], completed=True)  # the interval ends with the last of them
    shedder.in_flight = 0
