"""kit.overload.RollingWindow: per-bucket passes and durations, the bucket being filled left out."""

from __future__ import annotations

import pytest

from kit.overload import RollingWindow
from support.clock import FakeClock


def test_an_empty_window_knows_nothing() -> None:
    window = RollingWindow(buckets=10, width=0.1, clock=FakeClock())
    assert window.max_passes_per_second() == 0
    assert window.min_average_seconds() is None


def test_the_bucket_being_filled_is_left_out_until_it_is_full() -> None:
    clock = FakeClock(100.0)
    window = RollingWindow(buckets=10, width=0.1, clock=clock)
    for _ in range(5):
        window.add(0.02)
    assert window.min_average_seconds() is None
    clock.advance(0.1)
    assert window.max_passes_per_second() == pytest.approx(50.0)
    assert window.min_average_seconds() == pytest.approx(0.02)


def test_the_best_bucket_wins_for_each_measure() -> None:
    clock = FakeClock(100.0)
    window = RollingWindow(buckets=10, width=0.1, clock=clock)
    for count, seconds in ((3, 0.010), (8, 0.050), (2, 0.004)):
        for _ in range(count):
            window.add(seconds)
        clock.advance(0.1)
    assert window.max_passes_per_second() == pytest.approx(80.0)
    assert window.min_average_seconds() == pytest.approx(0.004)


def test_buckets_older_than_the_window_are_forgotten() -> None:
    clock = FakeClock(100.0)
    window = RollingWindow(buckets=10, width=0.1, clock=clock)
    window.add(0.001)
    clock.advance(0.1)
    assert window.min_average_seconds() == pytest.approx(0.001)
    clock.advance(1.0)  # the whole window has passed
    assert window.min_average_seconds() is None
    assert window.max_passes_per_second() == 0


def test_a_window_needs_two_buckets() -> None:
    with pytest.raises(ValueError, match="two buckets"):
        RollingWindow(buckets=1, width=0.1, clock=FakeClock())
