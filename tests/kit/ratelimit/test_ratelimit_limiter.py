import pytest

from kit.ratelimit import ANONYMOUS, Global, PerClient, TokenBucket
from support.clock import FakeClock


def test_global_shares_one_bucket_among_clients() -> None:
    limiter = Global(TokenBucket(1.0, 1, clock=FakeClock()))

    assert limiter.check("a") == 0.0
    assert limiter.check("b") == pytest.approx(1.0)
    assert limiter.check(None) == pytest.approx(1.0)


def test_global_reserve_queues() -> None:
    limiter = Global(TokenBucket(2.0, 1, clock=FakeClock()))

    assert [limiter.reserve("a", max_wait=5.0) for _ in range(3)] == [0.0, pytest.approx(0.5), pytest.approx(1.0)]


def test_per_client_isolates_clients() -> None:
    clock = FakeClock()
    limiter = PerClient(1.0, 2, clock=clock)

    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]
    assert [limiter.check("b") for _ in range(2)] == [0.0, 0.0]
    clock.advance(0.5)
    assert limiter.check("a") == pytest.approx(0.5)


def test_requests_without_a_client_share_the_anonymous_bucket() -> None:
    limiter = PerClient(1.0, 1, clock=FakeClock())

    assert limiter.check(None) == 0.0
    assert limiter.check(None) == pytest.approx(1.0)
    assert limiter.check(ANONYMOUS) == pytest.approx(1.0)


def test_keys_are_bounded_and_the_least_recently_seen_is_evicted() -> None:
    limiter = PerClient(1.0, 1, max_keys=3, idle_ttl=3600.0, clock=FakeClock())
    for key in ("a", "b", "c"):
        assert limiter.check(key) == 0.0
    assert limiter.check("a") == pytest.approx(1.0)  # "a" is now the most recently seen

    assert limiter.check("d") == 0.0

    assert len(limiter) == 3
    assert limiter.check("a") == pytest.approx(1.0)  # kept, still limited
    assert limiter.check("b") == 0.0  # evicted: a fresh, full bucket


def test_many_clients_never_exceed_max_keys() -> None:
    limiter = PerClient(1.0, 1, max_keys=50, idle_ttl=3600.0, clock=FakeClock())

    for i in range(1000):
        limiter.check(f"10.0.0.{i}")

    assert len(limiter) == 50


def test_a_bucket_is_dropped_once_it_would_be_full_again() -> None:
    clock = FakeClock()
    limiter = PerClient(2.0, 4, clock=clock)
    for _ in range(4):
        limiter.check("a")
    clock.advance(1.9)
    assert len(limiter) == 1
    assert limiter.check("a") == 0.0  # 3.8 tokens back

    clock.advance(2.0)

    assert len(limiter) == 0
    assert [limiter.check("a") for _ in range(5)] == [0.0, 0.0, 0.0, 0.0, pytest.approx(0.5)]


def test_idle_ttl_forgets_a_client_even_before_its_bucket_is_full() -> None:
    clock = FakeClock()
    limiter = PerClient(0.1, 5, idle_ttl=1.0, clock=clock)
    for _ in range(5):
        limiter.check("a")
    assert limiter.check("a") == pytest.approx(10.0)

    clock.advance(1.0)

    assert len(limiter) == 0
    assert [limiter.check("a") for _ in range(5)] == [0.0] * 5


@pytest.mark.parametrize(
    ("max_keys", "idle_ttl", "message"),
    [(0, None, "max_keys"), (10, 0.0, "idle_ttl"), (10, -1.0, "idle_ttl")],
)
def test_per_client_refuses_bad_settings(max_keys: int, idle_ttl: float | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PerClient(1.0, 1, max_keys=max_keys, idle_ttl=idle_ttl)


def test_per_client_validates_rate_and_burst_at_once() -> None:
    with pytest.raises(ValueError, match="burst"):
        PerClient(1.0, 0)
