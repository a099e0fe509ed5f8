"""trim's configuration, from environment variables. Every variable and its default is listed in the README.

| variable | default | meaning |
|---|---|---|
| TRIM_HOST | 127.0.0.1 | address both servers listen on (0.0.0.0 in containers) |
| TRIM_GRPC_PORT | 8975 | gRPC port (0 = any free port; the bound one is registered) |
| TRIM_HTTP_PORT | 8985 | HTTP port (0 = any free port) |
| TRIM_ADVERTISE_HOST | the listen host | address registered in Consul |
| TRIM_REGISTER | true | register in Consul (CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN) |
| TRIM_MAX_BODY_BYTES | 65536 | largest HTTP body accepted (413 past it) |
| TRIM_REQUEST_TIMEOUT | 2 | seconds each request may take (504 / DEADLINE_EXCEEDED past it) |
| TRIM_GRACE | 10 | seconds from SIGTERM to stopping: the drain delay, then in-flight requests finish |
| TRIM_DRAIN_DELAY | 1 | seconds a stopping instance, already out of Consul, keeps serving so callers see it leave |
| TRIM_HTTP_*, TRIM_GRPC_*, TRIM_TRUSTED_PROXIES | see kit.edge | wire limits and trusted proxies (README) |
| TRIM_RATELIMIT_TRIMSPACE | unset | `<rate>/<burst>` for all callers; `_PER_CLIENT` and `_MODE` as for add |
| TRIM_SHED, TRIM_SHED_* | as for add | load shedding (kit.overload) |
| LOG_FORMAT, LOG_LEVEL | console on a terminal, else json; INFO | kit.log's variables |
| CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN | 127.0.0.1:8500, unset | Consul's own variables |
| TRIM_DELAY | unset | fault injection: seconds every TrimSpace waits first (for deadline tests) |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kit import env as e
from kit import log as kitlog
from kit import overload, ratelimit
from kit.edge import Edge
from kit.sd.consul import ConsulConfig, read_consul_config

SERVICE = "trim"
"""The name trim registers under in Consul, and the `service` label of its metrics."""

METHODS = ("TrimSpace",)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything trim's composition root needs to know."""

    host: str = "127.0.0.1"
    grpc_port: int = 8975
    http_port: int = 8985
    advertise_host: str = "127.0.0.1"
    register: bool = True
    max_body_bytes: int = 65536
    request_timeout: float = 2.0
    grace: float = 10.0
    drain_delay: float = 1.0
    edge: Edge = field(default_factory=Edge)
    delay: float = 0.0
    log: kitlog.Config = field(default_factory=kitlog.Config)
    consul: ConsulConfig = field(default_factory=ConsulConfig)
    shed: overload.ShedConfig = overload.DEFAULTS
    ratelimits: Mapping[str, ratelimit.Config] = field(
        default_factory=lambda: dict.fromkeys(METHODS, ratelimit.Config())
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Reads the TRIM_* variables; raises kit.env.ConfigError naming the first bad one."""
        host = e.string("TRIM_HOST", "127.0.0.1", env=env)
        delay = e.seconds("TRIM_DELAY", 1.0, env=env) if e.string("TRIM_DELAY", "", env=env) else 0.0
        return cls(
            host=host,
            grpc_port=e.port("TRIM_GRPC_PORT", 8975, env=env),
            http_port=e.port("TRIM_HTTP_PORT", 8985, env=env),
            advertise_host=e.string("TRIM_ADVERTISE_HOST", e.advertised_host(host), env=env),
            register=e.flag("TRIM_REGISTER", True, env=env),
            max_body_bytes=e.integer("TRIM_MAX_BODY_BYTES", 65536, minimum=1, env=env),
            request_timeout=e.seconds("TRIM_REQUEST_TIMEOUT", 2.0, env=env),
            grace=e.seconds("TRIM_GRACE", 10.0, env=env),
            drain_delay=e.seconds("TRIM_DRAIN_DELAY", 1.0, env=env, allow_zero=True),
            edge=Edge.from_env("TRIM", env),
            delay=delay,
            log=kitlog.read_config(env),
            consul=read_consul_config(env),
            shed=overload.read_config(SERVICE, env),
            ratelimits=ratelimit.read_configs(SERVICE, METHODS, env),
        )


__all__ = ["METHODS", "SERVICE", "Config"]
