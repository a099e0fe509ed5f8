"""Round robin: each call goes to the next endpoint in turn."""

from __future__ import annotations

import itertools
from collections.abc import Collection

from kit.sd.endpointer import Endpointer, InstanceEndpoint
from kit.sd.lb.balancer import eligible


class RoundRobin:
    """Spreads calls evenly over the endpoints with one shared counter, so concurrent callers never need a lock.

    The counter alone does not keep a retry off a dead instance (go-kit's flaw: all attempts of one request can land
    on it); `exclude` does, and the endpointer's passive ejection takes the dead instance out for everybody.
    """

    def __init__(self, endpointer: Endpointer) -> None:
        self._endpointer = endpointer
        self._counter = itertools.count()

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint:
        endpoints = eligible(self._endpointer, exclude)
        return endpoints[next(self._counter) % len(endpoints)]
