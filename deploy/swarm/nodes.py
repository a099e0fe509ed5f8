"""The swarm's hosts and their network: three engine nodes and a callers' host, each a network namespace of its
own with an address on a bridge that lives in a namespace of the project's (never in the machine's own).

    kitmultihost-swnet   the bridge br0 (no address)
    kitmultihost-sw1     10.213.15.1  engine 1: swarm manager, labelled kitmultihost.edge=true (add, Consul,
                                      Prometheus publish there); a registry on its 127.0.0.1:5000
    kitmultihost-sw2/3   10.213.15.2/3  engines 2 and 3: swarm workers; a registry each on their 127.0.0.1:5000
    kitmultihost-swload  10.213.15.9  where every client runs (readiness checks, the load)

Each engine's namespace also has slirp4netns' tap0 (scripts/dockerd-netns.sh): its way out for builds. Interface
names stay short (br0, p1, sw0): the kernel allows 15 characters, and they live only in these namespaces.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from deploy.hosts.topology import NETNS_DIR, NamespaceHost

PREFIX = "kitmultihost"
BRIDGE_NS = f"{PREFIX}-swnet"
SUBNET = "10.213.15"
IFACE = "sw0"


@dataclass(frozen=True, slots=True)
class Node(NamespaceHost):
    """A host of the swarm bed: its short name and last address byte."""

    prefix: ClassVar[str] = PREFIX
    subnet: ClassVar[str] = SUBNET

    @property
    def port(self) -> str:
        """Its port on the bridge (in the bridge's namespace)."""
        return f"p{self.octet}"


ENGINES = (Node("sw1", 1), Node("sw2", 2), Node("sw3", 3))
EDGE = ENGINES[0]
LOAD = Node("swload", 9)


def nsenter(node: Node, argv: Sequence[str]) -> list[str]:
    """`argv` run in `node`'s network namespace (nsenter, not `ip netns exec`, which remounts /sys)."""
    return ["nsenter", f"--net={node.netns_path}", "--", *argv]


def create_commands(nodes: Sequence[Node] = (*ENGINES, LOAD)) -> list[list[str]]:
    """The `ip` commands that make the network, in order (the engines' namespaces get their dockerd later)."""
    cmds = [
        ["ip", "netns", "add", BRIDGE_NS],
        ["ip", "-n", BRIDGE_NS, "link", "set", "lo", "up"],
        ["ip", "-n", BRIDGE_NS, "link", "add", "br0", "type", "bridge"],
        ["ip", "-n", BRIDGE_NS, "link", "set", "br0", "up"],
    ]
    for node in nodes:
        cmds += [
            ["ip", "netns", "add", node.netns],
            ["ip", "-n", node.netns, "link", "set", "lo", "up"],
            ["ip", "-n", BRIDGE_NS, "link", "add", node.port, "type", "veth", "peer", "name", IFACE,
             "netns", node.netns],
            ["ip", "-n", BRIDGE_NS, "link", "set", node.port, "master", "br0"],
            ["ip", "-n", BRIDGE_NS, "link", "set", node.port, "up"],
            ["ip", "-n", node.netns, "addr", "add", f"{node.address}/24", "dev", IFACE],
            ["ip", "-n", node.netns, "link", "set", IFACE, "up"],
        ]  # fmt: skip
    return cmds


def namespaces() -> list[str]:
    """The swarm bed's namespaces that exist now."""
    if not NETNS_DIR.is_dir():
        return []
    names = {n.netns for n in (*ENGINES, LOAD)} | {BRIDGE_NS}
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name in names)


def run(argv: Sequence[str], *, timeout: float = 30) -> str:
    """Runs one command; RuntimeError with what it said when it fails."""
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed: {(done.stderr or done.stdout).strip() or done.returncode}")
    return done.stdout


def create() -> None:
    for cmd in create_commands():
        run(cmd)


def destroy() -> list[str]:
    """Removes the namespaces still there (dockerd-netns.sh stop removes the engines' own); returns their names."""
    gone = namespaces()
    for name in gone:
        run(["ip", "netns", "del", name])
    return gone


__all__ = ["BRIDGE_NS", "EDGE", "ENGINES", "LOAD", "Node", "create", "create_commands", "destroy", "namespaces"]
