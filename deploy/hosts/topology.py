"""The hosts of the test bed and their addresses: pure data, nothing here touches the machine.

Every host is a network namespace of its own (`/run/netns/kmh-<name>`) with one interface, `eth0`, whose other end
is a port of the bridge `kmhbr0` inside the namespace `kmh-net`. All hosts share one private /24 and reach one
another through that bridge only; nothing is routed to or from the machine's own network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

PREFIX = "kmh"
BRIDGE_NS = f"{PREFIX}-net"
BRIDGE = f"{PREFIX}br0"
SUBNET = "10.213.13"
PREFIX_LEN = 24
NETNS_DIR = Path("/run/netns")
HOST_IF = "eth0"

CONSUL_HTTP = 8500
CONSUL_SERVER_RPC = 8300  # what /v1/status/leader names a server by
PROMETHEUS_HTTP = 9090
ADD_HTTP, ADD_GRPC = 8080, 8081
TRIM_GRPC, TRIM_HTTP = 8975, 8985
EXTRA_TRIM_GRPC, EXTRA_TRIM_HTTP = 8976, 8986  # a late trim, to see registrations through a fault


@dataclass(frozen=True, slots=True)
class NamespaceHost:
    """A host made of a network namespace of the project's: its short name and its last address byte. A bed names
    its namespaces `<prefix>-<name>` and addresses its hosts in its `subnet` (this one's Host, the swarm's Node)."""

    prefix: ClassVar[str]
    subnet: ClassVar[str]

    name: str
    octet: int

    @property
    def netns(self) -> str:
        """The name of its network namespace."""
        return f"{self.prefix}-{self.name}"

    @property
    def netns_path(self) -> Path:
        """What `nsenter --net=` is given."""
        return NETNS_DIR / self.netns

    @property
    def address(self) -> str:
        """Its own address on the bed's network."""
        return f"{self.subnet}.{self.octet}"


@dataclass(frozen=True, slots=True)
class Host(NamespaceHost):
    """One host of this bed: its short name, its last address byte and its role in the bed."""

    prefix: ClassVar[str] = PREFIX
    subnet: ClassVar[str] = SUBNET

    role: str  # "server" (Consul server), "add", "trim", "prometheus" or "load" (where the callers run)

    @property
    def bridge_port(self) -> str:
        """The name of its veth end on the bridge (cutting the host is setting this one down)."""
        return f"{PREFIX}-{self.name}"

    @property
    def has_agent(self) -> bool:
        """Every host but the callers' runs a Consul agent (a server, or a client agent)."""
        return self.role != "load"

    @property
    def consul(self) -> str:
        """host:port of the Consul HTTP API of its own agent."""
        return f"{self.address}:{CONSUL_HTTP}"


HOSTS: tuple[Host, ...] = (
    Host("srv1", 11, "server"),
    Host("srv2", 12, "server"),
    Host("srv3", 13, "server"),
    Host("add", 21, "add"),
    Host("trim1", 31, "trim"),
    Host("trim2", 32, "trim"),
    Host("prom", 41, "prometheus"),
    Host("load", 51, "load"),
)


def by_name(name: str, hosts: Sequence[Host] = HOSTS) -> Host:
    """The host called `name`; ValueError names the known ones."""
    for host in hosts:
        if host.name == name:
            return host
    raise ValueError(f"no host {name!r}; the hosts are {', '.join(h.name for h in hosts)}")


def by_address(address: str, hosts: Sequence[Host] = HOSTS) -> Host:
    """The host whose address is `address` (a `host:port` is accepted too)."""
    ip = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
    for host in hosts:
        if host.address == ip:
            return host
    raise ValueError(f"no host has the address {address!r}")


def with_role(role: str, hosts: Sequence[Host] = HOSTS) -> tuple[Host, ...]:
    """The hosts of one role, in order."""
    return tuple(h for h in hosts if h.role == role)


def servers(hosts: Sequence[Host] = HOSTS) -> tuple[Host, ...]:
    """The Consul servers."""
    return with_role("server", hosts)


def trim_grpc(host: Host, *, extra: bool = False) -> str:
    """The gRPC address a trim on `host` registers (the `endpoint` label of add's client metrics)."""
    return f"{host.address}:{EXTRA_TRIM_GRPC if extra else TRIM_GRPC}"


__all__ = [
    "ADD_GRPC",
    "ADD_HTTP",
    "BRIDGE",
    "BRIDGE_NS",
    "CONSUL_HTTP",
    "CONSUL_SERVER_RPC",
    "EXTRA_TRIM_GRPC",
    "EXTRA_TRIM_HTTP",
    "HOSTS",
    "HOST_IF",
    "PREFIX_LEN",
    "PROMETHEUS_HTTP",
    "TRIM_GRPC",
    "TRIM_HTTP",
    "Host",
    "by_address",
    "by_name",
    "servers",
    "trim_grpc",
    "with_role",
]
