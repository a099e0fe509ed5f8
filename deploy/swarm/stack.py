"""The swarm stack file, derived from the project's compose file (deploy/docker-compose.yml) by fixed rules, so
that `docker stack deploy` runs the same services, images, commands, environment, health checks and grace periods
as `make up MODE=docker`. What swarm mode here needs differently (and why):

- every image comes from the local registry: `${SWARM_REGISTRY:-127.0.0.1:5000}/` before the compose image (the
  engines build nothing: `build:` goes);
- published ports use `mode: host` and no bind address: this kernel has no IPVS, so swarm's ingress routing mesh
  does not work (and a stack file cannot bind an address); only add, Consul and Prometheus publish, so trims (which
  publish nothing) may run any number per node;
- `endpoint_mode: dnsrr` for every service: no IPVS, so no virtual IPs; a service name resolves to its tasks;
- one overlay network for everything (its subnet fixed away from slirp4netns' 10.0.2.0/24);
- the services that publish ports (Consul, Prometheus, add) are placed on the node labelled
  `kitmultihost.edge=true` (the callers find them there, and Prometheus' bind-mounted configuration); the others
  run anywhere: trims as `${SWARM_TRIMS:-3}` replicas, a service `make new-service` added as one;
- compose-only keys go: `name:`, `profiles:` (and the services only a profile starts: Grafana, Jaeger),
  `depends_on:` (swarm has no start order: trims and add retry Consul until it answers);
- relative bind paths are relative to this folder;
- Consul's ACLs go (its `secrets:`, the `-config-file=/run/secrets/...` that reads them, the services'
  `CONSUL_HTTP_TOKEN`, Prometheus' token): compose writes the ACL configuration into Consul's container, and
  Prometheus' configuration with its token into Prometheus', from the environment of `make up MODE=docker`, which
  swarm secrets (files or external) cannot; the swarm bed's Consul stays open, and its Prometheus reads the committed
  token-less `prometheus.yml` of the mounted folder.

`python -m deploy.swarm stack` prints the derivation; `--write` refreshes the committed deploy/swarm/docker-stack.yml
(tests/swarm checks it is in sync).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
COMPOSE = HERE.parent / "docker-compose.yml"
STACK = HERE / "docker-stack.yml"

NETWORK = "kit"
SUBNET = "10.213.16.0/24"
EDGE_LABEL = "kitmultihost.edge"
REGISTRY = "${SWARM_REGISTRY:-127.0.0.1:5000}"
TRIMS = "${SWARM_TRIMS:-3}"
DROPPED = ("build", "depends_on", "profiles", "ports", "container_name")
HEADER = """\
# GENERATED from deploy/docker-compose.yml by deploy/swarm/stack.py: do not edit. Edit the compose file (or the
# rules in stack.py), then run `python -m deploy.swarm stack --write`; tests/swarm/test_swarm_stack.py checks this.
# `docker stack deploy -c deploy/swarm/docker-stack.yml kitmultihost` (`make swarm-up` does it; docs/multihost.md).
"""

PROMETHEUS_SECRET = "--config.file=/run/secrets/prometheus.yml"
PROMETHEUS_CONFIG = "--config.file=/etc/prometheus/prometheus.yml"
"""Compose's Prometheus reads its configuration (with its token) from a secret; swarm's the committed file."""

_SHORT_PORT = re.compile(r"^(?:(?P<ip>\$\{[^}]+\}|[\d.]+):)?(?P<published>\$\{[^}]+\}|\d+):(?P<target>\d+)$")


def load_compose(path: Path = COMPOSE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def host_port(short: str) -> dict[str, Any]:
    """A compose short port (`${BIND}:${PORT:-8080}:8080`) as a swarm host-mode port; the bind address goes."""
    found = _SHORT_PORT.match(short)
    if found is None:
        raise ValueError(f"unexpected port syntax in the compose file: {short!r}")
    published = found["published"]
    return {
        "target": int(found["target"]),
        "published": int(published) if published.isdigit() else published,
        "protocol": "tcp",
        "mode": "host",
    }


def _volume(spec: str) -> str:
    source, _, rest = spec.partition(":")
    return f"../{source[2:]}:{rest}" if source.startswith("./") else spec


def service(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One compose service as a swarm service."""
    out = {k: copy.deepcopy(v) for k, v in spec.items() if k not in DROPPED and k not in ("deploy", "secrets")}
    out["image"] = f"{REGISTRY}/{spec['image']}"
    if "command" in out:  # Consul's ACL configuration and Prometheus' token, compose secrets (the module docstring)
        args = [arg for arg in out["command"] if not str(arg).startswith("-config-file=/run/secrets/")]
        out["command"] = [PROMETHEUS_CONFIG if arg == PROMETHEUS_SECRET else arg for arg in args]
    if isinstance(out.get("environment"), dict):
        out["environment"].pop("CONSUL_HTTP_TOKEN", None)
    if "volumes" in out:
        out["volumes"] = [_volume(v) for v in out["volumes"]]
    ports = [host_port(p) for p in spec.get("ports", [])]
    if ports:
        out["ports"] = ports
    out["networks"] = [NETWORK]
    deploy: dict[str, Any] = {"endpoint_mode": "dnsrr"}
    if name == "trim":
        deploy["replicas"] = TRIMS
    elif "replicas" in spec.get("deploy", {}):
        deploy["replicas"] = spec["deploy"]["replicas"]
    if ports:  # where the callers find it (and Prometheus' bind-mounted configuration is)
        deploy["placement"] = {"constraints": [f"node.labels.{EDGE_LABEL} == true"]}
    out["deploy"] = deploy
    return out


def derive(compose: dict[str, Any]) -> dict[str, Any]:
    """The stack file for `compose` (see the module docstring for the rules)."""
    services = {name: service(name, spec) for name, spec in compose["services"].items() if not spec.get("profiles")}
    return {
        "version": "3.8",
        "services": services,
        "networks": {NETWORK: {"driver": "overlay", "attachable": True, "ipam": {"config": [{"subnet": SUBNET}]}}},
        "volumes": copy.deepcopy(compose.get("volumes", {})),
    }


_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """`${VAR}` and `${VAR:-default}` in `text` as compose fills them (an empty or unset VAR takes the default)."""
    return _VARIABLE.sub(lambda m: env.get(m["name"]) or (m["default"] or ""), text)


def images(compose: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    """The image of every service the stack runs, as `env` names it (without the registry): what is pushed."""
    return [interpolate(spec["image"], env) for spec in compose["services"].values() if not spec.get("profiles")]


def render(compose: dict[str, Any]) -> str:
    """The stack file's text: the header, then the derivation as YAML (anchors expanded)."""

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    body = yaml.dump(derive(compose), Dumper=_NoAliases, sort_keys=False, default_flow_style=False, width=120)
    return HEADER + body


__all__ = [
    "COMPOSE",
    "EDGE_LABEL",
    "NETWORK",
    "STACK",
    "SUBNET",
    "derive",
    "host_port",
    "images",
    "interpolate",
    "load_compose",
    "render",
]
