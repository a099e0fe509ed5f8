"""The balancer role: choose one endpoint of a service for one call, avoiding the instances a retry already tried."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from kit.errors import Unavailable
from kit.sd.endpointer import Endpointer, InstanceEndpoint


class NoEndpoints(Unavailable):
    """The balancer has no endpoint to offer: the service has no known instance."""

    def __init__(self, message: str = "no endpoints available") -> None:
        super().__init__(message)


class Balancer(Protocol):
    """Chooses the endpoint for the next call."""

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint:
        """An endpoint whose instance is not in `exclude`, unless every instance is; raises NoEndpoints."""
        ...


def eligible(endpointer: Endpointer, exclude: Collection[str]) -> Sequence[InstanceEndpoint]:
    """The endpoints a balancer may choose from: those not excluded, or all of them when every one is excluded."""
    endpoints = endpointer.endpoints()
    if not endpoints:
        raise NoEndpoints()
    if exclude:
        allowed = tuple(e for e in endpoints if e.instance not in exclude)
        if allowed:
            return allowed
    return endpoints
