import re

import pytest

from kit.circuitbreaker import Breaker, State, circuit_breaker
from kit.endpoint import chain
from kit.errors import ConnectionFailed, Unavailable
from support.clock import FakeClock


class Instance:
    """A fake client endpoint for one instance: echoes, or refuses connections while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.requests: list[str] = []

    async def __call__(self, request: str) -> str:
        self.requests.append(request)
        if self.down:
            raise ConnectionFailed("connection refused")
        return request.strip()


async def test_middleware_passes_requests_and_answers_through() -> None:
    instance = Instance()
    endpoint = circuit_breaker(Breaker("trim", clock=FakeClock()))(instance)

    assert await endpoint(" a ") == "a"
    assert instance.requests == [" a "]


async def test_middleware_opens_on_failures_and_fails_fast_then_recovers() -> None:
    clock = FakeClock()
    states: list[int] = []
    breaker = Breaker("trim 10.0.0.1:8975", failures=2, wait=5.0, on_state=states.append, clock=clock)
    instance = Instance()
    endpoint = chain(circuit_breaker(breaker))(instance)
    instance.down = True
    with pytest.raises(ConnectionFailed):
        await endpoint("1")

    with pytest.raises(Unavailable, match=re.escape("circuit open for trim 10.0.0.1:8975")):
        await endpoint("2")
    assert instance.requests == ["1"]

    instance.down = False
    clock.advance(5.0)
    assert await endpoint("3") == "3"
    assert breaker.state is State.CLOSED
    assert states == [2, 1, 0]
