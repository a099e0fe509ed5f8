"""What runs on which host of the bed: one `Spec` per process, its argv already wrapped in `nsenter --net=...`.
Pure: nothing here starts anything.

Consul: three servers (`-bootstrap-expect=3`, each retry-joining all three) and a client agent on every other host
that runs something; every service registers with the agent of its own host, on that host's loopback, as it would
on a machine of its own. Prometheus asks its own host's agent, with the configuration deploy/prometheus renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from deploy.local.kitstack.plan import Spec
from deploy.local.kitstack.prometheus import PrometheusFiles, prometheus_argv
from deploy.local.kitstack.tools import Tools

from .net import Netem, detour_ports
from .topology import (
    ADD_GRPC,
    ADD_HTTP,
    BRIDGE_NS,
    CONSUL_HTTP,
    EXTRA_TRIM_GRPC,
    EXTRA_TRIM_HTTP,
    HOSTS,
    NETNS_DIR,
    PROMETHEUS_HTTP,
    TRIM_GRPC,
    TRIM_HTTP,
    Host,
    servers,
)

# Consul's production advice (the default of 5 is for small development machines): a lost leader is replaced
# within a few seconds instead of tens.
CONSUL_TUNING = "performance { raft_multiplier = 1 }"
_DROPPED = ("TRIM_INSTANCES", "CONSUL_HTTP_ADDR", "CONSUL_HTTP_TOKEN")


def nsenter(host: Host | Path, argv: Sequence[str]) -> tuple[str, ...]:
    """`argv` run in the host's network namespace, or the one at a path (nsenter, not `ip netns exec`, which
    remounts /sys)."""
    path = host if isinstance(host, Path) else host.netns_path
    return ("nsenter", f"--net={path}", "--", *argv)


def inner_argv(spec: Spec) -> tuple[str, ...]:
    """The argv the process has once nsenter has exec'ed it (what /proc shows for it)."""
    return spec.argv[3:]


def consul(tools: Tools, host: Host, data: Path, hosts: Sequence[Host] = HOSTS) -> Spec:
    """The Consul agent of `host`: a server on the server hosts, a client agent elsewhere."""
    argv = [
        str(tools.consul), "agent", f"-node={host.name}", f"-bind={host.address}",
        f"-client=127.0.0.1 {host.address}", f"-http-port={CONSUL_HTTP}", f"-data-dir={data / host.name}",
        "-dns-port=-1", "-retry-interval=1s", f"-hcl={CONSUL_TUNING}",
    ]  # fmt: skip
    argv += [f"-retry-join={s.address}" for s in servers(hosts)]
    if host.role == "server":
        argv += ["-server", "-bootstrap-expect=3", "-ui"]
    return Spec(
        f"consul-{host.name}",
        nsenter(host, argv),
        ports={"http": CONSUL_HTTP},
        health=f"http://{host.consul}/v1/status/leader",
    )


def link_emulator(tools: Tools, host: Host, netem: Netem) -> Spec:
    """The user-space stand-in for netem on `host`'s link, in the bridge's namespace (see deploy.hosts.linkem)."""
    outer, _ = detour_ports(host)
    argv = [str(tools.python), "-m", "deploy.hosts.linkem", "--host-side", host.bridge_port, "--net-side", outer]
    return Spec(f"linkem-{host.name}", nsenter(NETNS_DIR / BRIDGE_NS, [*argv, *netem.args()]))


def service_env(env: Mapping[str, str]) -> dict[str, str]:
    """Every service's environment: the caller's, with the agent of its own host as its Consul."""
    out = {k: v for k, v in env.items() if k not in _DROPPED}
    out["CONSUL_HTTP_ADDR"] = f"127.0.0.1:{CONSUL_HTTP}"
    out["PYTHONUNBUFFERED"] = "1"
    return out


def kit_service(
    tools: Tools, host: Host, env: Mapping[str, str], service: str, *, grpc: int, http: int, name: str = ""
) -> Spec:
    """The kit service `service` (add, trim) on `host` as the process `name` (default: `service`), listening on (and
    registered with) the host's own address, its readiness read from its HTTP /health."""
    upper = service.upper()
    variables = {
        **service_env(env),
        f"{upper}_HOST": host.address,
        f"{upper}_GRPC_PORT": str(grpc),
        f"{upper}_HTTP_PORT": str(http),
        f"{upper}_REGISTER": "true",
    }
    argv = nsenter(host, (str(tools.python), "-m", f"{service}svc"))
    return Spec(name or service, argv, variables, {"grpc": grpc, "http": http}, f"http://{host.address}:{http}/health")


def trim(tools: Tools, host: Host, env: Mapping[str, str], *, extra: bool = False) -> Spec:
    """A trim on `host`; `extra` is a second one."""
    grpc, http = (EXTRA_TRIM_GRPC, EXTRA_TRIM_HTTP) if extra else (TRIM_GRPC, TRIM_HTTP)
    name = f"trim-{host.name}{'-extra' if extra else ''}"
    return kit_service(tools, host, env, "trim", grpc=grpc, http=http, name=name)


def add(tools: Tools, host: Host, env: Mapping[str, str]) -> Spec:
    """add on `host`, finding the trims through the host's agent."""
    return kit_service(tools, host, env, "add", grpc=ADD_GRPC, http=ADD_HTTP)


def prometheus(tools: Tools, host: Host, files: PrometheusFiles, data: Path) -> Spec:
    """Prometheus on `host`, discovering the services through the host's agent."""
    argv = prometheus_argv(tools, files, data, listen=f"{host.address}:{PROMETHEUS_HTTP}")
    return Spec(
        "prometheus",
        nsenter(host, argv),
        ports={"http": PROMETHEUS_HTTP},
        health=f"http://{host.address}:{PROMETHEUS_HTTP}/-/ready",
    )


__all__ = [
    "CONSUL_TUNING",
    "add",
    "consul",
    "inner_argv",
    "link_emulator",
    "nsenter",
    "prometheus",
    "service_env",
    "trim",
]
