"""Random choice: each call goes to an endpoint chosen uniformly at random."""

from __future__ import annotations

import random
from collections.abc import Collection

from kit.sd.endpointer import Endpointer, InstanceEndpoint
from kit.sd.lb.balancer import eligible


class Random:
    """Spreads calls over the endpoints at random, with no shared state between callers.

    Pass a seeded `rng` for reproducible choices (tests).
    """

    def __init__(self, endpointer: Endpointer, *, rng: random.Random | None = None) -> None:
        self._endpointer = endpointer
        self._rng = random.Random() if rng is None else rng

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint:
        return self._rng.choice(eligible(self._endpointer, exclude))
