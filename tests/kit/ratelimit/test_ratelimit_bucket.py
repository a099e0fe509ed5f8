import pytest

from kit.ratelimit import TokenBucket
from support.clock import FakeClock


def test_starts_full_and_allows_a_burst() -> None:
    bucket = TokenBucket(1.0, 3, clock=FakeClock())

    assert [bucket.try_take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("rate", "burst", "taken", "elapsed", "retry_after"),
    [
        (1.0, 1, 1, 0.0, 1.0),
        (1.0, 1, 1, 0.25, 0.75),
        (2.0, 1, 1, 0.1, 0.4),
        (0.5, 1, 1, 0.0, 2.0),
        (0.5, 1, 1, 1.5, 0.5),
        (10.0, 5, 5, 0.05, 0.05),
        (100.0, 20, 20, 0.0, 0.01),
    ],
)
def test_retry_after_is_the_time_until_the_next_token(
    rate: float, burst: int, taken: int, elapsed: float, retry_after: float
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock=clock)
    for _ in range(taken):
        assert bucket.try_take() == 0.0

    clock.advance(elapsed)

    assert bucket.try_take() == pytest.approx(retry_after)


def test_a_refused_take_takes_nothing() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, 1, clock=clock)
    bucket.try_take()
    for _ in range(5):
        assert bucket.try_take() == pytest.approx(0.5)

    clock.advance(0.5)

    assert bucket.try_take() == 0.0


def test_refill_stops_at_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, 2, clock=clock)
    clock.advance(1000.0)

    assert [bucket.try_take() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]


def test_taking_several_tokens_at_once() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 4, clock=clock)

    assert bucket.try_take(3) == 0.0
    assert bucket.try_take(3) == pytest.approx(2.0)
    assert bucket.tokens() == pytest.approx(1.0)


@pytest.mark.parametrize("n", [0, -1, 5])
def test_taking_more_than_the_burst_or_nothing_is_a_mistake(n: int) -> None:
    bucket = TokenBucket(1.0, 4, clock=FakeClock())

    with pytest.raises(ValueError, match="between 1 and 4"):
        bucket.try_take(n)


def test_float_dust_does_not_refuse_a_due_token() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(1.0, 1, clock=clock)
    bucket.try_take()
    for _ in range(10):
        clock.advance(0.1)  # sums to 0.9999999999999999

    assert bucket.try_take() == 0.0


def test_a_clock_stepping_back_neither_drains_nor_refills_twice() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 1, clock=clock)
    bucket.try_take()
    clock.advance(-5.0)
    assert bucket.try_take() == pytest.approx(1.0)

    clock.advance(5.5)  # back to 0.5 s after the take

    assert bucket.try_take() == pytest.approx(0.5)


def test_reservations_queue_behind_each_other() -> None:
    bucket = TokenBucket(1.0, 1, clock=FakeClock())

    assert bucket.reserve(max_wait=10.0) == 0.0
    assert bucket.reserve(max_wait=10.0) == pytest.approx(1.0)
    assert bucket.reserve(max_wait=10.0) == pytest.approx(2.0)
    assert bucket.tokens() == pytest.approx(-2.0)
    assert bucket.try_take() == pytest.approx(3.0)


@pytest.mark.parametrize(("max_wait", "taken"), [(0.0, False), (0.5, False), (1.0, False), (1.01, True)])
def test_a_reservation_is_taken_only_when_it_comes_before_max_wait(max_wait: float, taken: bool) -> None:
    bucket = TokenBucket(1.0, 1, clock=FakeClock())
    bucket.try_take()

    assert bucket.reserve(max_wait=max_wait) == pytest.approx(1.0)
    assert bucket.tokens() == pytest.approx(-1.0 if taken else 0.0)


def test_time_to_full() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, 4, clock=clock)
    assert bucket.time_to_full() == 0.0
    bucket.try_take(4)
    assert bucket.time_to_full() == pytest.approx(2.0)
    clock.advance(1.5)
    assert bucket.time_to_full() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("rate", "burst", "message"),
    [
        (0.0, 1, "rate"),
        (-1.0, 1, "rate"),
        (float("inf"), 1, "rate"),
        (float("nan"), 1, "rate"),
        (1.0, 0, "burst"),
    ],
)
def test_bad_settings_are_refused(rate: float, burst: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TokenBucket(rate, burst, clock=FakeClock())
