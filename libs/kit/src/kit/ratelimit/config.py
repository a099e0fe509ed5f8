"""Rate limits per service and method, from environment variables.

For a service prefix `P` and a method `M` (both upper-cased, every character other than a letter or digit
becoming `_`: prefix `add` and method `Sum` give `ADD_RATELIMIT_SUM`):

| variable                      | value                | meaning                                                  |
|-------------------------------|----------------------|----------------------------------------------------------|
| `P_RATELIMIT_M`               | `<rate>/<burst>`     | one bucket for all callers of the method                 |
| `P_RATELIMIT_M_PER_CLIENT`    | `<rate>/<burst>`     | one bucket per client key (verified identity, else peer) |
| `P_RATELIMIT_M_MODE`          | `error` or `delay`   | refuse at once (default) or wait within the deadline     |

`<rate>` is requests per second, a number above 0 (`0.5` is one request every two seconds); `<burst>` is how many
requests may come at once, a whole number of at least 1. `ADD_RATELIMIT_SUM=1/1` is go-kit's tutorial limit, one
request per second. A variable that is unset or empty sets no limit; with neither limit set the method is unlimited.
When both are set a request draws from its client's bucket first, then from the global one. A bad value raises
`kit.env.ConfigError` (a `ValueError`) naming the variable, so a service refuses to start with a limit it did not
understand.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kit.clock import Clock, Sleep
from kit.endpoint import Endpoint, Middleware, Req, Resp, chain
from kit.env import ConfigError
from kit.ratelimit.bucket import TokenBucket
from kit.ratelimit.limiter import Global, PerClient
from kit.ratelimit.middleware import delaying, erroring

Mode = Literal["error", "delay"]
MODES: tuple[Mode, ...] = ("error", "delay")

_WHOLE = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Limit:
    """A rate in requests per second and the burst a bucket holds."""

    rate: float
    burst: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """Reads `<rate>/<burst>`; raises ValueError on anything else."""
        parts = [part.strip() for part in text.split("/")]
        if len(parts) != 2 or not all(parts):
            raise ValueError("expected <rate>/<burst>, for example 1/1")
        rate_text, burst_text = parts
        try:
            rate = float(rate_text)
        except ValueError:
            raise ValueError(f"rate {rate_text!r} is not a number") from None
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a finite number of requests per second above 0, got {rate_text!r}")
        if _WHOLE.fullmatch(burst_text) is None or int(burst_text) < 1:
            raise ValueError(f"burst must be a whole number of at least 1, got {burst_text!r}")
        burst = int(burst_text)
        return cls(rate=rate, burst=burst)


@dataclass(frozen=True, slots=True)
class Config:
    """The limits of one method: either may be None (no such limit)."""

    total: Limit | None = None
    per_client: Limit | None = None
    mode: Mode = "error"


def variable(prefix: str, method: str, suffix: str = "") -> str:
    """The name of a rate-limit variable: `variable("add", "Sum", "MODE")` is `ADD_RATELIMIT_SUM_MODE`."""
    parts = [part for part in (prefix, "RATELIMIT", method, suffix) if part]
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", part).upper() for part in parts)


def read_config(prefix: str, method: str, env: Mapping[str, str] | None = None) -> Config:
    """Reads and validates the limits of `method`; raises ConfigError naming the variable on a bad value."""
    env = os.environ if env is None else env

    def limit(suffix: str) -> Limit | None:
        name = variable(prefix, method, suffix)
        value = env.get(name, "").strip()
        if not value:
            return None
        try:
            return Limit.parse(value)
        except ValueError as exc:
            raise ConfigError(f"{name}={value!r}: {exc}") from None

    mode_name = variable(prefix, method, "MODE")
    mode = env.get(mode_name, "").strip().lower() or "error"
    if mode not in MODES:
        raise ConfigError(f"{mode_name}={env[mode_name]!r}: expected one of {', '.join(MODES)}")
    return Config(total=limit(""), per_client=limit("PER_CLIENT"), mode="delay" if mode == "delay" else "error")


def read_configs(prefix: str, methods: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, Config]:
    """The limits of each of `methods`, by method name (`read_config` for each)."""
    return {method: read_config(prefix, method, env) for method in methods}


def limit(
    config: Config,
    *,
    clock: Clock = time.monotonic,
    on_reject: Callable[[], None] | None = None,
    sleep: Sleep = asyncio.sleep,
    max_keys: int = 10_000,
) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
    """The rate-limiting middleware `config` describes; passes every request through when it sets no limit."""
    limiters: list[Global | PerClient] = []
    if config.per_client is not None:
        limiters.append(PerClient(config.per_client.rate, config.per_client.burst, max_keys=max_keys, clock=clock))
    if config.total is not None:
        limiters.append(Global(TokenBucket(config.total.rate, config.total.burst, clock=clock)))
    if not limiters:
        return _unlimited
    middlewares: list[Middleware[Any, Any]] = [
        delaying(limiter, on_reject=on_reject, sleep=sleep)
        if config.mode == "delay"
        else erroring(limiter, on_reject=on_reject)
        for limiter in limiters
    ]
    return chain(*middlewares)


def _unlimited(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
    return next_
