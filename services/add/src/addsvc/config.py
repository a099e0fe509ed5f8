"""add's configuration, from environment variables. Every variable and its default is listed in the README.

| variable | default | meaning |
|---|---|---|
| ADD_HOST | 127.0.0.1 | address both servers listen on (0.0.0.0 in containers) |
| ADD_HTTP_PORT | 8080 | HTTP port (0 = any free port) |
| ADD_GRPC_PORT | 8081 | gRPC port (0 = any free port; the bound one is registered) |
| ADD_ADVERTISE_HOST | the listen host | address registered in Consul |
| ADD_REGISTER | true | register in Consul (CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN) |
| ADD_MAX_CONCAT_LENGTH | 1024 | longest Concat result, in characters (400 past it) |
| ADD_MAX_BODY_BYTES | 65536 | largest HTTP body accepted (413 past it) |
| ADD_REQUEST_TIMEOUT | 2 | seconds each request may take (504 / DEADLINE_EXCEEDED past it) |
| ADD_TRIM_ATTEMPTS | 3 | attempts per trim call, each on another instance when there is one |
| ADD_TRIM_TIMEOUT | 0.5 | seconds all attempts of one trim call may take together |
| ADD_RETRY_BUDGET | 0.2 | retries and hedges to trim, as a share of calls over 10 s |
| ADD_RETRY_BUDGET_FLOOR | 5 | retries and hedges a second allowed besides that share |
| ADD_HEDGE | auto | `auto`: hedge a trim call after the observed p95; seconds: after that; `off` |
| ADD_BREAKER_FAILURES | 5 | consecutive UNAVAILABLE or INTERNAL answers of one trim instance that open its circuit |
| ADD_BREAKER_WAIT | 0.25 | seconds an open circuit waits before its first trial call |
| ADD_BREAKER_MAX_WAIT | 5 | longest wait: it doubles each time a trial fails |
| ADD_SLOW_AFTER | 0.05 | seconds without an answer after which a trim instance counts as slow (and 5x the fastest) |
| ADD_GRACE | 10 | seconds from SIGTERM to stopping: the drain delay, then in-flight requests finish |
| ADD_DRAIN_DELAY | 1 | seconds a stopping instance, already out of Consul, keeps serving so callers see it leave |
| ADD_SHED | true | shed load when overloaded: 503 + Retry-After / UNAVAILABLE at once (kit.overload) |
| ADD_SHED_LAG, ADD_SHED_COOL_OFF | 0.02, 1 | loop lag (s) that is overloaded; seconds that lasts after it |
| ADD_SHED_TOLERANCE, _HEADROOM | 1.5, 1.25 | durations that shrink the limit; in-flight share that grows it |
| ADD_SHED_INITIAL_LIMIT | 64 | requests in flight allowed before any is learned |
| ADD_SHED_MIN_LIMIT, ADD_SHED_MAX_LIMIT | 4, 2000 | bounds of the learned limit (requests in flight) |
| ADD_SHED_RETRY_AFTER | 1 | seconds a shed request's Retry-After asks for |
| ADD_HTTP_*, ADD_GRPC_*, ADD_TRUSTED_PROXIES | see kit.edge | wire limits and trusted proxies (README) |
| ADD_RATELIMIT_SUM, ADD_RATELIMIT_CONCAT | unset | `<rate>/<burst>` for all callers (`1/1`: one per second) |
| ADD_RATELIMIT_<M>_PER_CLIENT | unset | a bucket per client (the authenticated identity, else the peer address) |
| ADD_AUTH, ADD_AUTH_* | off | `jwt`, `basic` or `jwt,basic` requires credentials on /sum and /concat (README) |
| ADD_RATELIMIT_<M>_MODE | error | `error` answers 429 at once, `delay` waits within the deadline |
| LOG_FORMAT, LOG_LEVEL | console on a terminal, else json; INFO | kit.log's variables |
| CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN | 127.0.0.1:8500, unset | Consul's own variables |
| ADD_TRIM_DISCOVERY_GRACE | 30 | seconds trim instances are kept when a restarted Consul answers without them |
| TRIM_INSTANCES | unset | comma-separated trim gRPC addresses: a fixed list instead of Consul discovery |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from addsvc.service import DEFAULT_MAX_CONCAT_LENGTH
from kit import env as e
from kit import log as kitlog
from kit import overload, ratelimit
from kit.auth import AuthConfig
from kit.edge import Edge
from kit.env import ConfigError
from kit.sd.consul import DEFAULT_GRACE, ConsulConfig, read_consul_config
from kit.sd.lb import BreakerSettings, Policy

SERVICE = "add"
"""The name add registers under in Consul, and the `service` label of its metrics."""

METHODS = ("Sum", "Concat")


def _hedge(env: Mapping[str, str] | None) -> tuple[bool, float | None]:
    text = e.string("ADD_HEDGE", "auto", env=env).strip().lower()
    if text in ("auto", ""):
        return True, None
    if text in ("off", "0", "false", "no"):
        return False, None
    return True, e.seconds("ADD_HEDGE", 0.0, env=env)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything add's composition root needs to know."""

    host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_port: int = 8081
    advertise_host: str = "127.0.0.1"
    register: bool = True
    max_concat_length: int = DEFAULT_MAX_CONCAT_LENGTH
    max_body_bytes: int = 65536
    request_timeout: float = 2.0
    trim: Policy = field(default_factory=Policy)
    grace: float = 10.0
    drain_delay: float = 1.0
    edge: Edge = field(default_factory=Edge)
    auth: AuthConfig = field(default_factory=AuthConfig)
    trim_instances: tuple[str, ...] = ()
    trim_discovery_grace: float = DEFAULT_GRACE
    log: kitlog.Config = field(default_factory=kitlog.Config)
    consul: ConsulConfig = field(default_factory=ConsulConfig)
    shed: overload.ShedConfig = overload.DEFAULTS
    ratelimits: Mapping[str, ratelimit.Config] = field(
        default_factory=lambda: dict.fromkeys(METHODS, ratelimit.Config())
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Reads the ADD_* variables and TRIM_INSTANCES; raises kit.env.ConfigError naming the first bad one."""
        host = e.string("ADD_HOST", "127.0.0.1", env=env)
        return cls(
            host=host,
            http_port=e.port("ADD_HTTP_PORT", 8080, env=env),
            grpc_port=e.port("ADD_GRPC_PORT", 8081, env=env),
            advertise_host=e.string("ADD_ADVERTISE_HOST", e.advertised_host(host), env=env),
            register=e.flag("ADD_REGISTER", True, env=env),
            max_concat_length=e.integer("ADD_MAX_CONCAT_LENGTH", DEFAULT_MAX_CONCAT_LENGTH, minimum=0, env=env),
            max_body_bytes=e.integer("ADD_MAX_BODY_BYTES", 65536, minimum=1, env=env),
            request_timeout=e.seconds("ADD_REQUEST_TIMEOUT", 2.0, env=env),
            trim=trim_policy(env),
            grace=e.seconds("ADD_GRACE", 10.0, env=env),
            drain_delay=e.seconds("ADD_DRAIN_DELAY", 1.0, env=env, allow_zero=True),
            edge=Edge.from_env("ADD", env),
            auth=AuthConfig.from_env("ADD", env),
            trim_instances=e.addresses("TRIM_INSTANCES", env=env),
            trim_discovery_grace=e.seconds("ADD_TRIM_DISCOVERY_GRACE", DEFAULT_GRACE, env=env, allow_zero=True),
            shed=overload.read_config(SERVICE, env),
            ratelimits=ratelimit.read_configs(SERVICE, METHODS, env),
            log=kitlog.read_config(env),
            consul=read_consul_config(env),
        )


def trim_policy(env: Mapping[str, str] | None = None) -> Policy:
    """How add calls trim, from ADD_TRIM_*, ADD_RETRY_BUDGET*, ADD_HEDGE, ADD_BREAKER_* and ADD_SLOW_AFTER."""
    hedge, hedge_delay = _hedge(env)
    wait = e.seconds("ADD_BREAKER_WAIT", 0.25, env=env)
    max_wait = e.seconds("ADD_BREAKER_MAX_WAIT", 5.0, env=env)
    if max_wait < wait:
        raise ConfigError(f"ADD_BREAKER_MAX_WAIT={max_wait:g} is shorter than ADD_BREAKER_WAIT={wait:g}")
    return Policy(
        attempts=e.integer("ADD_TRIM_ATTEMPTS", 3, minimum=1, maximum=10, env=env),
        timeout=e.seconds("ADD_TRIM_TIMEOUT", 0.5, env=env),
        budget_ratio=e.number("ADD_RETRY_BUDGET", 0.2, maximum=10.0, env=env),
        budget_per_second=e.number("ADD_RETRY_BUDGET_FLOOR", 5.0, maximum=1e6, env=env),
        hedge=hedge,
        hedge_delay=hedge_delay,
        breaker=BreakerSettings(
            failures=e.integer("ADD_BREAKER_FAILURES", 5, minimum=1, env=env),
            wait=wait,
            max_wait=max_wait,
        ),
        slow_after=e.seconds("ADD_SLOW_AFTER", 0.05, env=env),
    )


__all__ = ["METHODS", "SERVICE", "Config", "trim_policy"]
