"""The pick every balancer makes once it has a starting position: the first endpoint from there that is not excluded
and that the outliers admit, giving way when that leaves none (see `kit.sd.lb.Outliers`)."""

from __future__ import annotations

from collections.abc import Collection

from kit.endpoint import Req, Resp
from kit.sd.endpointer import Endpointer, InstanceEndpoint
from kit.sd.lb.balancer import NoEndpoints
from kit.sd.lb.outliers import Outliers


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
