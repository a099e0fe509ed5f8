"""kit.overload.LoopLag on a real loop: a loop kept busy shows its lag; only lower bounds are asserted, which a
busy machine can only make larger."""

from __future__ import annotations

import asyncio
import time

from kit.overload import LoopLag


async def test_a_blocked_loop_shows_at_least_the_time_it_was_blocked() -> None:
    lag = LoopLag(interval=0.005)
    lag.seconds()  # starts sampling
    await asyncio.sleep(0.02)
    asyncio.get_running_loop().call_soon(time.sleep, 0.1)  # a callback that holds the loop for 100 ms
    await asyncio.sleep(0)
    assert lag.seconds() >= 0.09
    lag.stop()


def test_read_outside_a_loop_it_is_zero() -> None:
    assert LoopLag().seconds() == 0.0


async def test_the_lag_grows_while_a_callback_still_holds_the_loop() -> None:
    # uvloop's clock stands still within one loop iteration: read from a clock that moves, a burst of requests
    # taken in by one iteration sees the lag it is causing before the iteration ends.
    lag = LoopLag(interval=0.005)
    lag.seconds()
    await asyncio.sleep(0.02)
    seen: list[float] = []

    def busy() -> None:
        time.sleep(0.05)
        seen.append(lag.seconds())

    asyncio.get_running_loop().call_soon(busy)
    await asyncio.sleep(0)
    assert seen and seen[0] >= 0.04
    lag.stop()
