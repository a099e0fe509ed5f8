"""Random choice: each call goes to an endpoint chosen uniformly at random."""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Generic

from kit.endpoint import Req, Resp
from kit.sd.endpointer import Endpointer, InstanceEndpoint
from kit.sd.lb.choose import choose
from kit.sd.lb.outliers import Outliers


class Random(Generic[Req, Resp]):
    """Spreads calls over the endpoints at random, with no shared state between callers; with `outliers`, a
    failing or slow instance passes its turn to the next one.

    Pass a seeded `rng` for reproducible choices (tests).
    """

    def __init__(
        self,
        endpointer: Endpointer[Req, Resp],
        *,
        outliers: Outliers | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._endpointer = endpointer
        self._outliers = outliers
        self._rng = random.Random() if rng is None else rng

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint[Req, Resp]:
        return choose(self._endpointer, self._rng.getrandbits(32), exclude, self._outliers)
