"""Reading a service's shedding knobs from `<SERVICE>_SHED_*` environment variables, each with a default."""

from __future__ import annotations

from collections.abc import Mapping

from kit import env as e
from kit.overload.shedder import ShedConfig

DEFAULTS = ShedConfig()


def read_config(service: str, env: Mapping[str, str]) -> ShedConfig:
    """The shedding configuration of `service` (`add` reads ADD_SHED, ADD_SHED_LAG, ...); raises
    kit.env.ConfigError naming the first bad variable."""
    p = f"{service.upper()}_SHED"
    return ShedConfig(
        enabled=e.flag(p, DEFAULTS.enabled, env=env),
        lag=e.seconds(f"{p}_LAG", DEFAULTS.lag, env=env),
        cool_off=e.seconds(f"{p}_COOL_OFF", DEFAULTS.cool_off, env=env, allow_zero=True),
        window=e.seconds(f"{p}_WINDOW", DEFAULTS.window, env=env),
        rtt_window=e.seconds(f"{p}_RTT_WINDOW", DEFAULTS.rtt_window, env=env),
        min_limit=e.integer(f"{p}_MIN_LIMIT", DEFAULTS.min_limit, minimum=1, env=env),
        retry_after=e.seconds(f"{p}_RETRY_AFTER", DEFAULTS.retry_after, env=env),
    )


__all__ = ["DEFAULTS", "read_config"]
