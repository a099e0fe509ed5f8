"""Instance addresses as the kit writes them, `host:port` (an IPv6 host in brackets): one made for what an instance
registers, and the set read from what Consul's health API answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def host_port(host: str, port: int) -> str:
    """`host:port`, with an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def instances_of(entries: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The sorted `host:port` set of the entries of Consul's health API: the service's address, or its node's
    when the service registered none, and the service's port."""
    found = set()
    for entry in entries:
        service = entry["Service"]
        found.add(host_port(service.get("Address") or entry["Node"]["Address"], int(service["Port"])))
    return tuple(sorted(found))
