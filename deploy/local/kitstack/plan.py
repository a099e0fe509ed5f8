"""What the local stack runs: one `Spec` per process (argv, environment, ports, health URL), in start order, and
the readiness checks that say the whole stack is up. Pure: nothing here starts or asks anything."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import probes
from .ports import Port, Ports
from .prometheus import PrometheusFiles, prometheus_argv
from .tools import Tools
from .wait import Check

HOST = "127.0.0.1"

# a stray fixed list would bypass Consul, which is the point of the stack
_DROPPED = ("TRIM_INSTANCES",)


@dataclass(frozen=True, slots=True)
class Spec:
    """One process of the stack, before it is started."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)
    health: str = ""


def consul(
    tools: Tools,
    ports: Ports,
    *,
    acl_config: Path | None = None,
    log_level: str = "info",
    extra: Sequence[str] = (),
) -> Spec:
    """A Consul agent in dev mode (in-memory server, UI) on 127.0.0.1 only, logging at `log_level` (dev mode's own
    default, DEBUG, logs every health check every second); with `acl_config` (see `acl`), its ACLs enforced;
    `extra` arguments are appended (a config file)."""
    argv: tuple[str, ...] = (
        str(tools.consul), "agent", "-dev", "-ui", "-node=kit-stack",
        f"-client={HOST}", f"-bind={HOST}",
        f"-http-port={ports.consul_http}", f"-server-port={ports.consul_server}",
        f"-serf-lan-port={ports.consul_serf_lan}", f"-serf-wan-port={ports.consul_serf_wan}",
        "-dns-port=-1", "-grpc-port=-1", f"-log-level={log_level}", *extra,
    )  # fmt: skip
    if acl_config is not None:
        argv += (f"-config-file={acl_config}",)
    return Spec(
        "consul",
        argv,
        ports={"http": ports.consul_http},
        health=f"http://{HOST}:{ports.consul_http}/v1/status/leader",
    )


def prometheus(tools: Tools, ports: Ports, files: PrometheusFiles, data: Path, *, extra: Sequence[str] = ()) -> Spec:
    """Prometheus with the rendered config, its data in `data`, and the project's console templates; `extra`
    arguments are appended."""
    argv = [*prometheus_argv(tools, files, data, listen=f"{HOST}:{ports.prometheus}"), *extra]
    return Spec(
        "prometheus",
        tuple(argv),
        ports={"http": ports.prometheus},
        health=f"http://{HOST}:{ports.prometheus}/-/ready",
    )


def trim(tools: Tools, ports: Ports, index: int, base_env: Mapping[str, str]) -> Spec:
    """Trim instance `index` (from 1), registered in the stack's Consul."""
    grpc_port, http_port = ports.trim(index)
    env = {
        **base_env,
        "TRIM_HOST": HOST,
        "TRIM_GRPC_PORT": str(grpc_port),
        "TRIM_HTTP_PORT": str(http_port),
        "TRIM_REGISTER": "true",
    }
    return Spec(
        f"trim-{index}",
        (str(tools.python), "-m", "trimsvc"),
        env,
        {"grpc": grpc_port, "http": http_port},
        f"http://{HOST}:{http_port}/health",
    )


def add(tools: Tools, ports: Ports, base_env: Mapping[str, str]) -> Spec:
    """The add service, finding the trims through the stack's Consul."""
    env = {
        **base_env,
        "ADD_HOST": HOST,
        "ADD_HTTP_PORT": str(ports.add_http),
        "ADD_GRPC_PORT": str(ports.add_grpc),
        "ADD_REGISTER": "true",
    }
    return Spec(
        "add",
        (str(tools.python), "-m", "addsvc"),
        env,
        {"http": ports.add_http, "grpc": ports.add_grpc},
        f"http://{HOST}:{ports.add_http}/health",
    )


@dataclass(frozen=True, slots=True)
class Extra:
    """A service beyond add and trim, as its services/<name>/stack.toml describes it (`make new-service` writes
    one): run as `python -m <module>` with <PREFIX>_HOST, _HTTP_PORT, _GRPC_PORT and _REGISTER set."""

    name: str
    module: str
    env_prefix: str
    http_port: int
    grpc_port: int

    def ports(self) -> tuple[Port, ...]:
        where = f"services/{self.name}/stack.toml (or STACK_PORT_OFFSET)"
        return Port(self.http_port, f"{self.name} HTTP", where), Port(self.grpc_port, f"{self.name} gRPC", where)


def extras(root: Path, offset: int) -> tuple[Extra, ...]:
    """Every services/*/stack.toml, its ports moved by `offset` (STACK_PORT_OFFSET)."""
    found = []
    for path in sorted(root.glob("services/*/stack.toml")):
        data = tomllib.loads(path.read_text())
        found.append(
            Extra(
                name=path.parent.name,
                module=str(data["module"]),
                env_prefix=str(data["env_prefix"]),
                http_port=int(data["http_port"]) + offset,
                grpc_port=int(data["grpc_port"]) + offset,
            )
        )
    return tuple(found)


def extra(tools: Tools, ext: Extra, base_env: Mapping[str, str]) -> Spec:
    """One extra service, registered in the stack's Consul."""
    p = ext.env_prefix
    env = {
        **base_env,
        f"{p}_HOST": HOST,
        f"{p}_HTTP_PORT": str(ext.http_port),
        f"{p}_GRPC_PORT": str(ext.grpc_port),
        f"{p}_REGISTER": "true",
    }
    return Spec(
        ext.name,
        (str(tools.python), "-m", ext.module),
        env,
        {"http": ext.http_port, "grpc": ext.grpc_port},
        f"http://{HOST}:{ext.http_port}/health",
    )


def service_env(env: Mapping[str, str], ports: Ports) -> dict[str, str]:
    """The environment every service of the stack gets: the caller's, pointed at the stack's Consul."""
    out = {k: v for k, v in env.items() if k not in _DROPPED}
    out["CONSUL_HTTP_ADDR"] = f"{HOST}:{ports.consul_http}"
    out["PYTHONUNBUFFERED"] = "1"
    return out


def services(
    tools: Tools,
    ports: Ports,
    trims: int,
    env: Mapping[str, str],
    tokens: Mapping[str, str] | None = None,
    more: Sequence[Extra] = (),
) -> tuple[Spec, ...]:
    """The trims, the extra services (services/*/stack.toml), then add; each with its own Consul token
    (`CONSUL_HTTP_TOKEN`) when `tokens` names one for it (by service name: "trim", "add", an extra's name)."""
    base = service_env(env, ports)
    named = tokens or {}

    def env_of(name: str) -> dict[str, str]:
        return {**base, "CONSUL_HTTP_TOKEN": named[name]} if name in named else base

    return (
        *(trim(tools, ports, i, env_of("trim")) for i in range(1, trims + 1)),
        *(extra(tools, ext, env_of(ext.name)) for ext in more),
        add(tools, ports, env_of("add")),
    )


def checks(specs: Sequence[Spec], ports: Ports, trims: int) -> tuple[Check, ...]:
    """Ready means: Consul has a leader, Prometheus is ready, every service's /health answers 200, and Consul
    lists add and every trim with passing checks (so add can reach the trims through discovery)."""
    consul_addr = f"{HOST}:{ports.consul_http}"
    out: list[Check] = [Check("consul leader", lambda: probes.consul_leader(consul_addr), "consul")]
    for spec in specs:
        if spec.name == "consul":
            continue
        out.append(Check(spec.name, _ok(spec.health), spec.name))
    out.append(Check(f"consul: {trims} trim passing", _passing(consul_addr, "trim", trims), "trim-1"))
    for spec in specs:
        if spec.name not in ("consul", "prometheus", "add") and not spec.name.startswith("trim-"):
            out.append(Check(f"consul: {spec.name} passing", _passing(consul_addr, spec.name, 1), spec.name))
    out.append(Check("consul: add passing", _passing(consul_addr, "add", 1), "add"))
    return tuple(out)


def _ok(url: str) -> Callable[[], bool]:
    return lambda: probes.ok(url)


def _passing(consul_addr: str, service: str, count: int) -> Callable[[], bool]:
    return lambda: probes.consul_passing(consul_addr, service) >= count


__all__ = [
    "HOST",
    "Extra",
    "Spec",
    "add",
    "checks",
    "consul",
    "extra",
    "extras",
    "prometheus",
    "service_env",
    "services",
    "trim",
]
