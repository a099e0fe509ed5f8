"""Round robin: each call goes to the next endpoint in turn."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from typing import Generic

from kit.endpoint import Req, Resp
from kit.sd.endpointer import Endpointer, InstanceEndpoint
from kit.sd.lb.choose import choose
from kit.sd.lb.outliers import Outliers


class RoundRobin(Generic[Req, Resp]):
    """Spreads calls evenly over the endpoints with one shared counter, so concurrent callers never need a lock.

    The counter alone does not keep a retry off a dead instance (go-kit's flaw: all attempts of one request can land
    on it); `exclude` does, and `outliers` (when given) skips failing and slow instances for everybody, the turn
    passing to the next instance.
    """

    def __init__(self, endpointer: Endpointer[Req, Resp], *, outliers: Outliers | None = None) -> None:
        self._endpointer = endpointer
        self._outliers = outliers
        self._counter = itertools.count()

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint[Req, Resp]:
        return choose(self._endpointer, next(self._counter), exclude, self._outliers)
