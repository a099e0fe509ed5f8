"""Limiters: which token bucket a request draws from, given the client that sent it.

`Global` shares one bucket among all callers of a method. `PerClient` gives each client its own bucket, so one
client over its limit neither slows nor refuses another. The client key is `kit.endpoint.client()`: the transports
set it to the peer address, and `kit.auth` replaces it with the verified identity when authentication is on.
"""

from __future__ import annotations

import time
from typing import Protocol

from cachetools import TLRUCache

from kit.clock import Clock
from kit.ratelimit.bucket import TokenBucket

ANONYMOUS = "-"
"""The key of requests that carry no client (in-process calls): they share one bucket."""


class Limiter(Protocol):
    """Decides whether a request from `key` may go now; what the erroring middleware needs."""

    def check(self, key: str | None) -> float:
        """Takes a token for `key` and returns 0.0, or takes nothing and returns the seconds until one is free."""
        ...


class Reserver(Protocol):
    """Promises a request from `key` a token in the near future; what the delaying middleware needs."""

    def reserve(self, key: str | None, *, max_wait: float) -> float:
        """Returns the seconds until a token is free for `key`; takes it when that is 0 or less than `max_wait`."""
        ...


class Global:
    """One bucket for every caller: caps the total rate of a method, whoever sends it."""

    def __init__(self, bucket: TokenBucket) -> None:
        self._bucket = bucket

    def check(self, key: str | None) -> float:
        return self._bucket.try_take()

    def reserve(self, key: str | None, *, max_wait: float) -> float:
        return self._bucket.reserve(max_wait=max_wait)


class PerClient:
    """A bucket of `rate` per second and `burst` per client key, in bounded memory.

    At most `max_keys` buckets are kept. A bucket is forgotten when it has been idle for `idle_ttl` seconds, or,
    when `idle_ttl` is None (the default), once it would have filled up again (forgetting it then changes nothing).
    When `max_keys` clients are active at once, the least recently seen one is evicted first.
    A forgotten client starts again with a fresh, full bucket: under a flood of distinct keys the limit of an evicted
    client loosens by at most `burst` requests, and memory stays bounded; it never tightens for anyone.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 10_000,
        idle_ttl: float | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        TokenBucket(rate, burst, clock=clock)  # validate rate and burst now, not at the first request
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, got {max_keys!r}")
        if idle_ttl is not None and not idle_ttl > 0:
            raise ValueError(f"idle_ttl must be above 0 seconds, got {idle_ttl!r}")
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._idle_ttl = idle_ttl
        self._buckets: TLRUCache[str, TokenBucket, float] = TLRUCache(max_keys, self._expires, clock)

    def check(self, key: str | None) -> float:
        return self.reserve(key, max_wait=0.0)

    def reserve(self, key: str | None, *, max_wait: float) -> float:
        name = ANONYMOUS if key is None else key
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = TokenBucket(self._rate, self._burst, clock=self._clock)
        wait = bucket.reserve(max_wait=max_wait)
        # storing again on every use renews the key's lease and marks it most recently used
        self._buckets[name] = bucket
        return wait

    def __len__(self) -> int:
        """How many client buckets are held now."""
        self._buckets.expire()
        return len(self._buckets)

    def _expires(self, key: str, bucket: TokenBucket, now: float) -> float:
        if self._idle_ttl is not None:
            return now + self._idle_ttl
        # a bucket that is full again is the same as a fresh one, so dropping it then loses nothing
        return now + bucket.time_to_full()
