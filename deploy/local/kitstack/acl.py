"""Consul closed by default: ACLs on with `default_policy = "deny"`, the anonymous token allowed to read (so the UI
and `curl` work as before) and nothing else, and a token per part of the stack with only the policy it needs.

The secrets are made here, once per run folder, and written to `consul-tokens.json` there (mode 0600): Consul is
told the management token in its configuration file, and `setup` creates the policies and the other tokens with
the same secrets after every (re)start of the dev agent, which keeps nothing on disk. Standard library only.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ANONYMOUS_TOKEN_ID = "00000000-0000-0000-0000-000000000002"
"""Consul's built-in anonymous token: what a request without a token is."""

_READ_ALL = 'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }\n'
_AGENT_READ = 'agent_prefix "" { policy = "read" }\n'

POLICIES: dict[str, str] = {
    # Everything the UI and `curl .../v1/health/service/trim` show; no write of any kind.
    "anonymous-read": _READ_ALL + _AGENT_READ + 'key_prefix "" { policy = "read" }\n',
    # Each service may register (and deregister) itself only, and read what it depends on.
    "trim": 'service "trim" { policy = "write" }\nnode_prefix "" { policy = "read" }\n',
    "add": (
        'service "add" { policy = "write" }\nservice "trim" { policy = "read" }\nnode_prefix "" { policy = "read" }\n'
    ),
    # Prometheus' Consul discovery reads the catalog and asks the agent who it is (/v1/agent/self).
    "prometheus": _READ_ALL + _AGENT_READ,
}
"""Consul ACL rules (HCL) by policy name."""


def service_policy(name: str) -> str:
    """The rules of a service beyond add and trim (services/<name>/stack.toml, written by `make new-service`): it
    may register (and deregister) itself only, as trim may."""
    return f'service "{name}" {{ policy = "write" }}\nnode_prefix "" {{ policy = "read" }}\n'


def policies(tokens: Tokens) -> dict[str, str]:
    """`POLICIES` and one policy per extra service of `tokens`, named as the service."""
    return {**POLICIES, **{name: service_policy(name) for name in tokens.services}}


@dataclass(frozen=True, slots=True)
class Tokens:
    """The secrets of one stack: Consul's management token, one token per part, and one per extra service (by
    name: the services of services/*/stack.toml)."""

    management: str
    add: str
    trim: str
    prometheus: str
    services: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load_or_make(cls, path: Path, services: Sequence[str] = ()) -> Tokens:
        """The stack's tokens from `path`, made and written there (0600) the first time; a service of `services`
        without a token yet (one generated since) gets one, written to `path` too."""
        made = not path.is_file()
        if made:
            tokens = cls(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
        else:
            tokens = cls(**json.loads(path.read_text()))
        missing = [name for name in services if name not in tokens.services]
        if made or missing:
            more = {name: str(uuid.uuid4()) for name in missing}
            tokens = cls(tokens.management, tokens.add, tokens.trim, tokens.prometheus, {**tokens.services, **more})
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(asdict(tokens), out, indent=2)
        return tokens

    def by_service(self) -> dict[str, str]:
        """Each service's token by its Consul name: add, trim and the extra services."""
        return {"add": self.add, "trim": self.trim, **self.services}


def agent_config(tokens: Tokens) -> str:
    """The agent's ACL configuration (HCL): enforced, deny by default, the management token known to it. The agent
    uses the management token for its own node's anti-entropy; nobody else is handed it."""
    return (
        'acl {\n  enabled = true\n  default_policy = "deny"\n  down_policy = "extend-cache"\n'
        f'  tokens {{\n    master = "{tokens.management}"\n    agent = "{tokens.management}"\n  }}\n}}\n'
    )


def write_agent_config(tokens: Tokens, path: Path) -> Path:
    """Writes `agent_config` to `path` (0600: it holds the management token) and returns the path."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(agent_config(tokens))
    return path


def setup(consul_addr: str, tokens: Tokens, *, timeout: float = 5.0) -> None:
    """Creates the policies, gives the anonymous token `anonymous-read`, and creates each part's token with its
    own secret and policy. Safe to repeat: what exists is left as it is."""
    api = _Api(consul_addr, tokens.management, timeout)
    existing = {policy["Name"] for policy in api.call("GET", "/v1/acl/policies") or []}
    for name, rules in policies(tokens).items():
        if name not in existing:
            api.call("PUT", "/v1/acl/policy", {"Name": name, "Rules": rules, "Description": f"kit stack: {name}"})
    api.call(
        "PUT",
        f"/v1/acl/token/{ANONYMOUS_TOKEN_ID}",
        {"Description": "Anonymous: read only", "Policies": [{"Name": "anonymous-read"}]},
    )
    for part, secret in {**tokens.by_service(), "prometheus": tokens.prometheus}.items():
        if api.exists(secret):
            continue
        api.call("PUT", "/v1/acl/token", {"SecretID": secret, "Description": part, "Policies": [{"Name": part}]})


class _Api:
    def __init__(self, addr: str, token: str, timeout: float) -> None:
        self.base = addr if addr.startswith("http") else f"http://{addr}"
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("X-Consul-Token", token or self.token)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def exists(self, secret: str) -> bool:
        try:
            self.call("GET", "/v1/acl/token/self", token=secret)
        except urllib.error.HTTPError as exc:
            if exc.code in (403, 404):
                return False
            raise
        return True


__all__ = [
    "ANONYMOUS_TOKEN_ID",
    "POLICIES",
    "Tokens",
    "agent_config",
    "policies",
    "service_policy",
    "setup",
    "write_agent_config",
]
