"""RoundRobin and Random: order, fairness, distribution, exclusion, and NoEndpoints."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest

import kit.sd.lb
from kit.errors import Unavailable
from kit.sd import Broadcaster, DefaultEndpointer, Event, FixedEndpointer, InstanceEndpoint
from kit.sd.lb import Balancer, NoEndpoints, Random, RoundRobin


async def _answer(request: Any) -> Any:
    return request


async def _close() -> None:
    return None


def fixed(*instances: str) -> FixedEndpointer[Any, Any]:
    return FixedEndpointer([InstanceEndpoint(instance, _answer) for instance in instances])


class ChangingEndpointer:
    def __init__(self, *instances: str) -> None:
        self.current = fixed(*instances).endpoints()

    def endpoints(self) -> tuple[InstanceEndpoint[Any, Any], ...]:
        return self.current

    @property
    def discovery_error(self) -> Exception | None:
        return None


def test_package_exports() -> None:
    names = ("Balancer", "BreakerSettings", "Budget", "Callback", "Hedge", "NoEndpoints", "Outliers", "Policy")
    for name in (*names, "Random", "RetryError", "RoundRobin", "choose", "retry"):
        assert name in kit.sd.lb.__all__
        assert hasattr(kit.sd.lb, name)


def test_no_endpoints_is_unavailable() -> None:
    error = NoEndpoints()
    assert isinstance(error, Unavailable)
    assert error.code == "unavailable"
    assert str(error) == "no endpoints available"
    assert error.public_message() == "service unavailable: no instance is running"


class DownInstancer(Broadcaster):
    """Service discovery that has never answered: its only event is an error."""

    def __init__(self) -> None:
        super().__init__()
        self.update(Event(error=ConnectionError("127.0.0.1:8500 refused")))

    async def stop(self) -> None:
        self.clear()


def test_no_endpoints_says_in_the_callers_terms_when_service_discovery_is_down() -> None:
    endpointer = DefaultEndpointer(DownInstancer(), lambda instance: (_answer, _close))

    with pytest.raises(NoEndpoints) as caught:
        RoundRobin(endpointer).pick()

    assert caught.value.public_message() == "service unavailable: service discovery cannot be reached"
    assert "127.0.0.1:8500 refused" in str(caught.value)


def test_round_robin_goes_in_order() -> None:
    balancer = RoundRobin(fixed("a:1", "b:2", "c:3"))
    assert [balancer.pick().instance for _ in range(7)] == ["a:1", "b:2", "c:3", "a:1", "b:2", "c:3", "a:1"]


async def test_round_robin_is_fair_under_concurrency() -> None:
    balancer = RoundRobin(fixed("a:1", "b:2", "c:3"))
    counts: Counter[str] = Counter()

    async def caller() -> None:
        for _ in range(30):
            counts[balancer.pick().instance] += 1
            await asyncio.sleep(0)

    await asyncio.gather(*(caller() for _ in range(16)))
    assert counts == {"a:1": 160, "b:2": 160, "c:3": 160}


def test_round_robin_follows_endpointer_changes() -> None:
    endpointer = ChangingEndpointer("a:1", "b:2")
    balancer = RoundRobin(endpointer)
    assert balancer.pick().instance == "a:1"
    endpointer.current = fixed("c:3").endpoints()
    assert {balancer.pick().instance for _ in range(3)} == {"c:3"}


@pytest.mark.parametrize(
    ("exclude", "allowed"),
    [
        ({"a:1"}, {"b:2", "c:3"}),
        ({"a:1", "c:3"}, {"b:2"}),
        (["b:2"], {"a:1", "c:3"}),
        ({"z:9"}, {"a:1", "b:2", "c:3"}),
        ({"a:1", "b:2", "c:3"}, {"a:1", "b:2", "c:3"}),  # everything excluded: any will do
    ],
)
@pytest.mark.parametrize("make", [RoundRobin, lambda e: Random(e, rng=random.Random(7))])
def test_exclusion(make: Any, exclude: Any, allowed: set[str]) -> None:
    balancer: Balancer[Any, Any] = make(fixed("a:1", "b:2", "c:3"))
    picked = {balancer.pick(exclude).instance for _ in range(60)}
    assert picked == allowed


@pytest.mark.parametrize("make", [RoundRobin, Random])
def test_no_endpoints(make: Any) -> None:
    balancer: Balancer[Any, Any] = make(fixed())
    with pytest.raises(NoEndpoints):
        balancer.pick()
    with pytest.raises(NoEndpoints):
        balancer.pick({"a:1"})


def test_round_robin_with_exclusion_still_rotates_over_the_rest() -> None:
    balancer = RoundRobin(fixed("a:1", "b:2", "c:3"))
    picked = Counter(balancer.pick({"b:2"}).instance for _ in range(100))
    assert picked == {"a:1": 50, "c:3": 50}


def test_random_is_roughly_uniform_with_a_seeded_rng() -> None:
    balancer = Random(fixed("a:1", "b:2", "c:3", "d:4"), rng=random.Random(42))
    counts = Counter(balancer.pick().instance for _ in range(8000))
    assert set(counts) == {"a:1", "b:2", "c:3", "d:4"}
    assert all(1800 <= n <= 2200 for n in counts.values())


def test_random_is_reproducible_with_the_same_seed() -> None:
    first = Random(fixed("a:1", "b:2", "c:3"), rng=random.Random(3))
    second = Random(fixed("a:1", "b:2", "c:3"), rng=random.Random(3))
    assert [first.pick().instance for _ in range(20)] == [second.pick().instance for _ in range(20)]


def test_random_without_rng_uses_all_instances() -> None:
    balancer = Random(fixed("a:1", "b:2"))
    assert {balancer.pick().instance for _ in range(200)} == {"a:1", "b:2"}
