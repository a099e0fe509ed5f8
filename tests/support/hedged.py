"""Instances scripted for hedged calls (answer, raise, hang, or answer after a delay), counters of retries and hedges,
and a hedged call over them: shared by the hedging tests of kit.sd.lb."""

from __future__ import annotations

import asyncio
from typing import Any

from kit.endpoint import deadline
from kit.sd import FixedEndpointer, InstanceEndpoint
from kit.sd.lb import Budget, Hedge, RoundRobin, retry


class Instances:
    """Endpoints that answer, raise or hang, by instance; hung calls wait until cancelled. Records what happened."""

    def __init__(self, **behaviour: Any) -> None:
        self.behaviour = {name.replace("_", ":"): what for name, what in behaviour.items()}
        self.calls: list[str] = []
        self.cancelled: list[str] = []
        self.deadlines: list[float | None] = []

    def balancer(self) -> RoundRobin[str, str]:
        return RoundRobin(FixedEndpointer([InstanceEndpoint(i, self._endpoint(i)) for i in sorted(self.behaviour)]))

    def _endpoint(self, instance: str) -> Any:
        async def call(request: str) -> str:
            self.calls.append(instance)
            self.deadlines.append(deadline())
            what = self.behaviour[instance]
            if what == "hang":
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:
                    self.cancelled.append(instance)
                    raise
            if isinstance(what, Exception):
                raise what
            if isinstance(what, float):  # answers after that many seconds, unless cancelled first
                try:
                    await asyncio.sleep(what)
                except asyncio.CancelledError:
                    self.cancelled.append(instance)
                    raise
            return instance

        return call


class Counts:
    def __init__(self) -> None:
        self.retries = 0
        self.hedges = 0

    def retry(self) -> None:
        self.retries += 1

    def hedge(self) -> None:
        self.hedges += 1


def hedged(instances: Instances, counts: Counts, *, budget: Budget | None = None, timeout: float = 5.0) -> Any:
    return retry(
        3,
        timeout,
        instances.balancer(),
        budget=budget,
        hedge=Hedge(delay=0.001),
        on_retry=counts.retry,
        on_hedge=counts.hedge,
    )
