"""A token bucket on an injectable clock: the arithmetic under every rate limiter of the kit.

Written by hand rather than taken from aiolimiter: aiolimiter's `AsyncLimiter` is a leaky bucket that reads the
running event loop's clock and only offers "wait until there is room" or "is there room now"; it cannot say how long
until there is room (which `Retry-After` needs), cannot refuse a wait that would outlive a deadline before starting
it, and cannot run on a fake clock. The arithmetic below is those three things and nothing more.
"""

from __future__ import annotations

import time

from kit.clock import Clock

_EPSILON = 1e-9


class TokenBucket:
    """Holds up to `burst` tokens and gains `rate` tokens per second; each request takes tokens.

    It starts full, so a quiet client may send `burst` requests at once. Tokens may go below zero only through
    `reserve`: a reservation is a promise of tokens that have not arrived yet, and later callers queue behind it.
    Not thread-safe: use one bucket from one event loop.
    """

    __slots__ = ("_burst", "_clock", "_last", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int, *, clock: Clock = time.monotonic) -> None:
        if not rate > 0 or rate == float("inf"):
            raise ValueError(f"rate must be a finite number of tokens per second above 0, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self._rate = float(rate)
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    @property
    def rate(self) -> float:
        """Tokens gained per second."""
        return self._rate

    @property
    def burst(self) -> int:
        """The most tokens the bucket holds."""
        return self._burst

    def tokens(self) -> float:
        """The tokens available now (negative while reservations are outstanding)."""
        self._refill()
        return self._tokens

    def try_take(self, n: int = 1) -> float:
        """Takes `n` tokens and returns 0.0 when they are there; otherwise takes nothing and returns the seconds
        until they will be (the `Retry-After` of a refused request)."""
        return self.reserve(n, max_wait=0.0)

    def reserve(self, n: int = 1, *, max_wait: float) -> float:
        """Returns the seconds until `n` tokens are available and, when that is 0 or less than `max_wait`, takes
        them now on the caller's promise to wait that long; otherwise takes nothing."""
        if not 0 < n <= self._burst:
            raise ValueError(f"can take between 1 and {self._burst} tokens at once, asked for {n}")
        self._refill()
        wait = (n - self._tokens) / self._rate
        if wait < _EPSILON:  # float dust from the refill arithmetic must not refuse a request
            wait = 0.0
        if wait == 0.0 or wait < max_wait:
            self._tokens -= n
        return wait

    def time_to_full(self) -> float:
        """Seconds until the bucket is full again if nobody takes from it: after that it has forgotten its past."""
        self._refill()
        return (self._burst - self._tokens) / self._rate

    def _refill(self) -> None:
        now = self._clock()
        # a clock that steps back (a fake one, or a bad one) must not drain the bucket
        elapsed = max(0.0, now - self._last)
        self._tokens = min(float(self._burst), self._tokens + elapsed * self._rate)
        self._last = max(self._last, now)
