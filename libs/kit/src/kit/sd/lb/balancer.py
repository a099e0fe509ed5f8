"""The balancer role: choose one endpoint of a service for one call, avoiding the instances a retry already tried
and, when given `Outliers`, the instances that are failing or slow, but never all of them."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from kit.endpoint import Req, Resp
from kit.errors import Unavailable
from kit.sd.endpointer import Endpointer, InstanceEndpoint
from kit.sd.lb.outliers import Outliers


class NoEndpoints(Unavailable):
    """The balancer has no endpoint to offer: the service has no known instance, perhaps because service discovery
    cannot be reached (`discovery_error`), which the caller is told in its own terms."""

    def __init__(self, message: str = "no endpoints available", *, discovery_error: Exception | None = None) -> None:
        if discovery_error is not None:
            message = f"{message}; service discovery failed: {type(discovery_error).__name__}: {discovery_error}"
        super().__init__(message)
        self.discovery_error = discovery_error
        self.reason = "service discovery cannot be reached" if discovery_error is not None else "no instance is running"


class Balancer(Protocol[Req, Resp]):
    """Chooses the endpoint for the next call."""

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint[Req, Resp]:
        """An endpoint whose instance is not in `exclude`, unless every instance is; raises NoEndpoints."""
        ...


def choose(
    endpointer: Endpointer[Req, Resp],
    start: int,
    exclude: Collection[str],
    outliers: Outliers | None,
) -> InstanceEndpoint[Req, Resp]:
    """The first of `endpointer`'s endpoints from position `start` on (wrapping around) that is not excluded and
    that `outliers` admits. Exclusion gives way when it leaves nothing; outliers give way when they admit none
    (panic: every instance is used as if none were to be avoided)."""
    endpoints = endpointer.endpoints()
    if not endpoints:
        raise NoEndpoints(discovery_error=endpointer.discovery_error)
    allowed = [e for e in endpoints if e.instance not in exclude] if exclude else endpoints
    allowed = allowed or endpoints
    count = len(allowed)
    first = allowed[start % count]
    if outliers is None:
        return first
    fastest = outliers.fastest()
    for i in range(count):
        endpoint = allowed[(start + i) % count]
        if outliers.admit(endpoint.instance, fastest):
            return endpoint
    # Panic: none is admitted. A slow instance still beats one whose circuit is open; with every circuit open,
    # the call goes to the next in turn anyway, and its answer closes that circuit.
    for i in range(count):
        endpoint = allowed[(start + i) % count]
        if outliers.reachable(endpoint.instance):
            return endpoint
    return first
