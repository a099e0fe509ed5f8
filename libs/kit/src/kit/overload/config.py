"""Reading a service's shedding knobs from `<SERVICE>_SHED_*` environment variables, each with a default."""

from __future__ import annotations

import os
from collections.abc import Mapping

from kit import env as e
from kit.overload.shedder import ShedConfig

DEFAULTS = ShedConfig()


def _factor(name: str, default: float, env: Mapping[str, str]) -> float:
    factor = e.seconds(name, default, env=env)  # a positive number, read as seconds are
    if factor < 1:
        raise e.ConfigError(f"{name}={factor:g}: want a number of at least 1")
    return factor


def read_config(service: str, env: Mapping[str, str] | None = None) -> ShedConfig:
    """The shedding configuration of `service` (`add` reads ADD_SHED, ADD_SHED_LAG, ...); raises
    kit.env.ConfigError naming the first bad variable."""
    env = os.environ if env is None else env
    p = f"{service.upper()}_SHED"
    return ShedConfig(
        enabled=e.flag(p, DEFAULTS.enabled, env=env),
        lag=e.seconds(f"{p}_LAG", DEFAULTS.lag, env=env),
        cool_off=e.seconds(f"{p}_COOL_OFF", DEFAULTS.cool_off, env=env, allow_zero=True),
        tolerance=_factor(f"{p}_TOLERANCE", DEFAULTS.tolerance, env),
        headroom=_factor(f"{p}_HEADROOM", DEFAULTS.headroom, env),
        initial_limit=e.integer(f"{p}_INITIAL_LIMIT", DEFAULTS.initial_limit, minimum=1, env=env),
        min_limit=e.integer(f"{p}_MIN_LIMIT", DEFAULTS.min_limit, minimum=1, env=env),
        max_limit=e.integer(f"{p}_MAX_LIMIT", DEFAULTS.max_limit, minimum=1, env=env),
        retry_after=e.seconds(f"{p}_RETRY_AFTER", DEFAULTS.retry_after, env=env),
    )


__all__ = ["DEFAULTS", "read_config"]
