"""Small HTTP questions the launcher asks the stack's parts: is it healthy, does Consul have a leader, how many
instances of a service pass their checks. Standard library only, so the launcher runs before `make install` too.
Each answer is a bool or a number; a part that does not answer yet is simply 'not yet', never an exception."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 1.0


def _get(url: str, *, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""
    except (OSError, ValueError):
        return 0, b""


def status(url: str, *, timeout: float = TIMEOUT) -> int:
    """The HTTP status of GET `url`, or 0 when nothing answers."""
    return _get(url, timeout=timeout)[0]


def ok(url: str, *, timeout: float = TIMEOUT) -> bool:
    """Whether GET `url` answers 200."""
    return status(url, timeout=timeout) == 200


def get_json(url: str, *, timeout: float = TIMEOUT) -> Any:
    """The JSON body of a 200 answer to GET `url`, or None."""
    code, body = _get(url, timeout=timeout)
    if code != 200:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def consul_leader(consul: str, *, timeout: float = TIMEOUT) -> bool:
    """Whether the Consul agent at `consul` (host:port) knows a raft leader."""
    leader = get_json(f"http://{consul}/v1/status/leader", timeout=timeout)
    return isinstance(leader, str) and leader != ""


def consul_passing(consul: str, service: str, *, timeout: float = TIMEOUT) -> int:
    """How many instances of `service` Consul lists with every check passing."""
    entries = get_json(f"http://{consul}/v1/health/service/{service}?passing=1", timeout=timeout)
    return len(entries) if isinstance(entries, list) else 0


__all__ = ["consul_leader", "consul_passing", "get_json", "ok", "status"]
