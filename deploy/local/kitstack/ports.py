"""The ports the stack listens on, each settable by an environment variable, and the check that they are free.

| variable | default | what listens there |
|---|---|---|
| STACK_CONSUL_PORT | 8500 | Consul HTTP API and UI |
| STACK_CONSUL_SERVER_PORT | 8300 | Consul server RPC |
| STACK_CONSUL_SERF_LAN_PORT | 8301 | Consul gossip, LAN (TCP and UDP) |
| STACK_CONSUL_SERF_WAN_PORT | 8302 | Consul gossip, WAN (TCP and UDP) |
| STACK_PROMETHEUS_PORT | 9090 | Prometheus |
| STACK_ADD_HTTP_PORT | 8080 | add HTTP |
| STACK_ADD_GRPC_PORT | 8081 | add gRPC |
| STACK_TRIM_GRPC_PORT | 8975 | trim 1 gRPC; trim i listens on this + i - 1 |
| STACK_TRIM_HTTP_PORT | 8985 | trim 1 HTTP; trim i listens on this + i - 1 |
| STACK_GRAFANA_PORT | 3000 | Grafana (Docker Compose, profile extras) |
| STACK_JAEGER_PORT | 16686 | Jaeger UI (Docker Compose, profile extras) |
| STACK_PORT_OFFSET | 0 | added to every default above (a second stack beside the first) |

Consul's DNS and gRPC (xDS) ports are switched off: the stack needs neither. Under Docker Compose only the ports of
Consul's HTTP API, Prometheus, add, Grafana and Jaeger are published (on the host's 127.0.0.1); trims publish none.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace

VARIABLES: Mapping[str, str] = {
    "consul_http": "STACK_CONSUL_PORT",
    "consul_server": "STACK_CONSUL_SERVER_PORT",
    "consul_serf_lan": "STACK_CONSUL_SERF_LAN_PORT",
    "consul_serf_wan": "STACK_CONSUL_SERF_WAN_PORT",
    "prometheus": "STACK_PROMETHEUS_PORT",
    "add_http": "STACK_ADD_HTTP_PORT",
    "add_grpc": "STACK_ADD_GRPC_PORT",
    "trim_grpc": "STACK_TRIM_GRPC_PORT",
    "trim_http": "STACK_TRIM_HTTP_PORT",
    "grafana": "STACK_GRAFANA_PORT",
    "jaeger_ui": "STACK_JAEGER_PORT",
}
"""The environment variable that sets each field of `Ports`."""

OFFSET_VARIABLE = "STACK_PORT_OFFSET"


class PortError(ValueError):
    """A port setting the stack cannot use: not a port, two parts on one port, or a port already taken."""


@dataclass(frozen=True, slots=True)
class Port:
    """One port a part of the stack listens on, with what it is for and the variable that moves it."""

    number: int
    what: str
    variable: str
    udp: bool = False


@dataclass(frozen=True, slots=True)
class Ports:
    """Every port of the stack. Trims take consecutive ports from `trim_grpc` and `trim_http`; Grafana and Jaeger
    run under Docker Compose only."""

    consul_http: int = 8500
    consul_server: int = 8300
    consul_serf_lan: int = 8301
    consul_serf_wan: int = 8302
    prometheus: int = 9090
    add_http: int = 8080
    add_grpc: int = 8081
    trim_grpc: int = 8975
    trim_http: int = 8985
    grafana: int = 3000
    jaeger_ui: int = 16686

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Ports:
        """The defaults shifted by STACK_PORT_OFFSET, then each STACK_*_PORT that is set; PortError names a bad one."""
        offset = offset_from_env(env)
        defaults = cls()
        shifted = {f.name: getattr(defaults, f.name) + offset for f in fields(cls)}
        chosen = {name: _number(env, VARIABLES[name], value) for name, value in shifted.items()}
        return replace(defaults, **chosen)

    def trim(self, index: int) -> tuple[int, int]:
        """The (gRPC, HTTP) ports of trim `index`, counting from 1."""
        return self.trim_grpc + index - 1, self.trim_http + index - 1

    def listening(self, trims: int) -> tuple[Port, ...]:
        """Every port the local stack with `trims` trim instances needs; PortError when two parts would share one."""
        wanted = [
            Port(self.consul_http, "Consul HTTP API and UI", VARIABLES["consul_http"]),
            Port(self.consul_server, "Consul server RPC", VARIABLES["consul_server"]),
            Port(self.consul_serf_lan, "Consul serf LAN", VARIABLES["consul_serf_lan"], udp=True),
            Port(self.consul_serf_wan, "Consul serf WAN", VARIABLES["consul_serf_wan"], udp=True),
            Port(self.prometheus, "Prometheus", VARIABLES["prometheus"]),
            Port(self.add_http, "add HTTP", VARIABLES["add_http"]),
            Port(self.add_grpc, "add gRPC", VARIABLES["add_grpc"]),
        ]
        for i in range(1, trims + 1):
            grpc_port, http_port = self.trim(i)
            wanted.append(Port(grpc_port, f"trim-{i} gRPC", VARIABLES["trim_grpc"]))
            wanted.append(Port(http_port, f"trim-{i} HTTP", VARIABLES["trim_http"]))
        seen: dict[int, Port] = {}
        for port in wanted:
            if not 0 < port.number < 65536:
                raise PortError(f"{port.what} would listen on {port.number}, not a port: set {port.variable}")
            if port.number in seen:
                other = seen[port.number]
                raise PortError(
                    f"{port.what} and {other.what} would both listen on {port.number}: "
                    f"set {port.variable} or {other.variable} apart"
                )
            seen[port.number] = port
        return tuple(wanted)


def offset_from_env(env: Mapping[str, str]) -> int:
    """STACK_PORT_OFFSET, which moves every default port (0 when unset)."""
    return _number(env, OFFSET_VARIABLE, 0, low=-65535)


def _number(env: Mapping[str, str], name: str, default: int, *, low: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PortError(f"{name}={raw!r}: want a port number") from None
    if not low <= value <= 65535:
        raise PortError(f"{name}={raw!r}: want a number in [{low}, 65535]")
    return value


def free_ports(count: int, *, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct TCP ports of `host` that nothing listens on right now (for tests and the bench, which run
    beside other stacks: each asks the kernel rather than choosing)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind((host, 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def free_port(*, host: str = "127.0.0.1") -> int:
    """One TCP port of `host` that nothing listens on right now."""
    return free_ports(1, host=host)[0]


def is_free(port: Port, *, host: str = "127.0.0.1") -> bool:
    """Whether `port` can be bound on `host` now (TCP, and UDP too for the ports that use both)."""
    kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if port.udp else (socket.SOCK_STREAM,)
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as sock:
            # as the servers themselves do: a port with only TIME_WAIT connections left on it is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port.number))
            except OSError:
                return False
    return True


def busy(ports: Iterable[Port], *, host: str = "127.0.0.1") -> tuple[Port, ...]:
    """The ports of `ports` that something else holds."""
    return tuple(port for port in ports if not is_free(port, host=host))


def describe_busy(taken: Iterable[Port], *, holder: Callable[[int], str] | None = None) -> str:
    """A message for people naming every busy port, what the stack wanted it for, who holds it (`holder`, e.g.
    `procs.holder`; a UDP port's holder is not looked up), and how to move it."""

    def line(p: Port) -> str:
        held = f"held by {holder(p.number)}; " if holder is not None and not p.udp else ""
        return f"  {p.number} ({p.what}): {held}set {p.variable} to use another port"

    return "\n".join(["cannot start the stack: these ports are in use", *map(line, taken)])


__all__ = [
    "OFFSET_VARIABLE",
    "VARIABLES",
    "Port",
    "PortError",
    "Ports",
    "busy",
    "describe_busy",
    "free_port",
    "free_ports",
    "is_free",
    "offset_from_env",
]
