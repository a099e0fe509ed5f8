"""The retry budget: extra attempts stay a share of calls plus a small floor, over a sliding window."""

from __future__ import annotations

import pytest

from kit.sd.lb import Budget
from support.clock import FakeClock


def test_the_floor_allows_a_few_retries_with_no_calls() -> None:
    budget = Budget(ratio=0.2, per_second=1.0, window=10.0, clock=FakeClock())
    assert [budget.spend() for _ in range(11)] == [True] * 10 + [False]


def test_retries_are_a_share_of_calls_plus_the_floor() -> None:
    exhausted: list[None] = []
    budget = Budget(
        ratio=0.1, per_second=0.5, window=10.0, clock=FakeClock(), on_exhausted=lambda: exhausted.append(None)
    )
    for _ in range(200):
        budget.call()
    spent = sum(budget.spend() for _ in range(100))
    assert spent == 20 + 5  # 10 % of 200 calls, and 0.5 a second over 10 s
    assert len(exhausted) == 100 - spent


def test_the_window_slides() -> None:
    clock = FakeClock()
    budget = Budget(ratio=0.5, per_second=0.0, window=10.0, clock=clock)
    for _ in range(10):
        budget.call()
    assert sum(budget.spend() for _ in range(10)) == 5
    clock.advance(5.0)
    assert not budget.spend()  # the calls are still inside the window
    clock.advance(5.5)
    assert not budget.available()  # both calls and retries have left it: nothing to spend
    for _ in range(4):
        budget.call()
    assert sum(budget.spend() for _ in range(4)) == 2


@pytest.mark.parametrize(
    ("ratio", "per_second", "window", "slices"),
    [(-0.1, 1, 10, 10), (0.1, -1, 10, 10), (0.1, 1, 0, 10), (0.1, 1, 10, 0)],
)
def test_bad_budgets_are_refused(ratio: float, per_second: float, window: float, slices: int) -> None:
    with pytest.raises(ValueError, match="must"):
        Budget(ratio=ratio, per_second=per_second, window=window, slices=slices)
