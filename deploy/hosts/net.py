"""Making and removing the bed's network with iproute2 (`ip`, `tc`), and the faults that act on its links.

Everything is made inside namespaces the bed owns: the bridge lives in `kmh-net`, each veth pair is created there
with its other end moved straight into the host's namespace, so no interface of the bed ever appears in the
machine's own namespace and nothing there (routes, forwarding, iptables) is changed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .topology import BRIDGE, BRIDGE_NS, HOST_IF, HOSTS, NETNS_DIR, PREFIX, PREFIX_LEN, Host

Runner = Callable[[Sequence[str]], None]


class NetError(RuntimeError):
    """An `ip` or `tc` command failed; the message carries the command and what it said."""


def run(argv: Sequence[str]) -> None:
    """Runs one command; NetError with its stderr when it fails."""
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise NetError(f"`{' '.join(argv)}` failed: {done.stderr.strip() or done.returncode}")


def namespaces() -> list[str]:
    """The names of the bed's network namespaces that exist now."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"{PREFIX}-"))


def create_commands(hosts: Sequence[Host] = HOSTS) -> list[list[str]]:
    """The commands that make the bed's network, in order (pure, so a test can read them)."""
    cmds = [
        ["ip", "netns", "add", BRIDGE_NS],
        ["ip", "-n", BRIDGE_NS, "link", "set", "lo", "up"],
        ["ip", "-n", BRIDGE_NS, "link", "add", BRIDGE, "type", "bridge"],
        ["ip", "-n", BRIDGE_NS, "link", "set", BRIDGE, "up"],
    ]
    for host in hosts:
        cmds += [
            ["ip", "netns", "add", host.netns],
            ["ip", "-n", host.netns, "link", "set", "lo", "up"],
            # made in the bridge's namespace, the peer created directly in the host's: never in the machine's
            ["ip", "-n", BRIDGE_NS, "link", "add", host.bridge_port, "type", "veth",
             "peer", "name", HOST_IF, "netns", host.netns],
            ["ip", "-n", BRIDGE_NS, "link", "set", host.bridge_port, "master", BRIDGE],
            ["ip", "-n", BRIDGE_NS, "link", "set", host.bridge_port, "up"],
            ["ip", "-n", host.netns, "addr", "add", f"{host.address}/{PREFIX_LEN}", "dev", HOST_IF],
            ["ip", "-n", host.netns, "link", "set", HOST_IF, "up"],
        ]  # fmt: skip
    return cmds


def create(hosts: Sequence[Host] = HOSTS, *, runner: Runner = run) -> None:
    """Makes the bed's network; a half-made one is removed again when a step fails."""
    try:
        for cmd in create_commands(hosts):
            runner(cmd)
    except NetError:
        destroy(runner=runner)
        raise


def destroy(*, runner: Runner = run) -> list[str]:
    """Removes every namespace of the bed (their interfaces go with them); returns the names removed."""
    removed = []
    for name in namespaces():
        runner(["ip", "netns", "del", name])
        removed.append(name)
    return removed


def cut(host: Host, *, runner: Runner = run) -> None:
    """Cuts `host` off: its port on the bridge goes down, so no frame passes either way."""
    runner(["ip", "-n", BRIDGE_NS, "link", "set", host.bridge_port, "down"])


def restore(host: Host, *, runner: Runner = run) -> None:
    """Undoes `cut`."""
    runner(["ip", "-n", BRIDGE_NS, "link", "set", host.bridge_port, "up"])


@dataclass(frozen=True, slots=True)
class Netem:
    """A slow, lossy link: `delay_ms` added to, and `loss_pct` dropped of, the frames the host sends."""

    delay_ms: int
    loss_pct: float

    def args(self) -> list[str]:
        """The arguments of `deploy.hosts.linkem` (the kernel here has no netem; see that module)."""
        return ["--delay-ms", str(self.delay_ms), "--loss-pct", f"{self.loss_pct:g}"]


def detour_ports(host: Host) -> tuple[str, str]:
    """The veth pair, in the bridge's namespace, through which `host`'s frames go while its link is degraded:
    the first end is where the link emulator writes, the second is on the bridge."""
    return f"{PREFIX}x-{host.name}", f"{PREFIX}y-{host.name}"


def detour_commands(host: Host) -> list[list[str]]:
    """Takes `host`'s port off the bridge and puts a fresh veth pair there instead, so that a link emulator can
    move frames between the host's port and that pair."""
    outer, bridged = detour_ports(host)
    return [
        ["ip", "-n", BRIDGE_NS, "link", "set", host.bridge_port, "nomaster"],
        ["ip", "-n", BRIDGE_NS, "link", "add", outer, "type", "veth", "peer", "name", bridged],
        ["ip", "-n", BRIDGE_NS, "link", "set", bridged, "master", BRIDGE],
        ["ip", "-n", BRIDGE_NS, "link", "set", bridged, "up"],
        ["ip", "-n", BRIDGE_NS, "link", "set", outer, "up"],
    ]


def undetour_commands(host: Host) -> list[list[str]]:
    """Undoes `detour_commands`: the pair goes, the host's port is on the bridge again."""
    return [
        ["ip", "-n", BRIDGE_NS, "link", "del", detour_ports(host)[0]],
        ["ip", "-n", BRIDGE_NS, "link", "set", host.bridge_port, "master", BRIDGE],
    ]


def detour(host: Host, *, runner: Runner = run) -> None:
    """Runs `detour_commands`."""
    for cmd in detour_commands(host):
        runner(cmd)


def undetour(host: Host, *, runner: Runner = run) -> None:
    """Runs `undetour_commands`."""
    for cmd in undetour_commands(host):
        runner(cmd)


__all__ = [
    "NetError",
    "Netem",
    "create",
    "create_commands",
    "cut",
    "destroy",
    "detour",
    "detour_commands",
    "detour_ports",
    "namespaces",
    "restore",
    "undetour",
    "undetour_commands",
]
