"""How a client calls a balanced target: attempts, time budget, retry budget, hedging, breakers, slowness."""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.sd.lb.outliers import BreakerSettings


@dataclass(frozen=True, slots=True)
class Policy:
    """Every knob of a balanced, retried client, with defaults that absorb faults without amplifying them.

    `attempts` distinct instances at most, within `timeout` seconds for all of them; retries and hedges together at
    most `budget_ratio` of calls plus `budget_per_second` over a 10 s window; `hedge` on or off, after
    `hedge_delay` seconds (None: the target's observed p95, within 3-100 ms); each instance's breaker as
    `breaker` says; an instance slower than `slow_after` seconds (and than 5x the fastest) avoided but probed.
    """

    attempts: int = 3
    timeout: float = 0.5
    budget_ratio: float = 0.2
    budget_per_second: float = 5.0
    hedge: bool = True
    hedge_delay: float | None = None
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    slow_after: float = 0.05


__all__ = ["Policy"]
