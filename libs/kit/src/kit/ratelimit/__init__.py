"""Rate limiting: token buckets, global and per-client limiters, and the middlewares that enforce them.

Configuration from the environment is described in `kit.ratelimit.config`.
"""

from kit.ratelimit.bucket import TokenBucket
from kit.ratelimit.config import Config, Limit, Mode, limit, read_config, read_configs, variable
from kit.ratelimit.limiter import ANONYMOUS, Global, Limiter, PerClient, Reserver
from kit.ratelimit.middleware import delaying, erroring

__all__ = [
    "ANONYMOUS",
    "Config",
    "Global",
    "Limit",
    "Limiter",
    "Mode",
    "PerClient",
    "Reserver",
    "TokenBucket",
    "delaying",
    "erroring",
    "limit",
    "read_config",
    "read_configs",
    "variable",
]
