"""The stack under Docker Compose: deploy/docker-compose.yml does the work; this only builds the commands and their
environment (ports moved as the local stack's, git's tag on the images, the profile `extras` by default, Consul's
ACL secrets), refuses a second `up`, names a busy published port first, closes Consul before anything registers
(see `acl`), gives Prometheus its own read token, and prints the same summary as the local stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from . import acl, procs, prometheus
from .images import image_labels, tag_of, trust_machine_cas
from .local import StackError
from .ports import VARIABLES, Port, Ports, busy, describe_busy
from .summary import Addresses, summary

PROJECT = "gokit"
"""The compose project (`name:` in deploy/docker-compose.yml)."""

EXTRAS = "extras"
"""The compose profile of Grafana and Jaeger, on unless COMPOSE_PROFILES says otherwise."""

CORE = {"add_http": "add HTTP", "add_grpc": "add gRPC", "consul_http": "Consul", "prometheus": "Prometheus"}
EXTRA = {"grafana": "Grafana", "jaeger_ui": "Jaeger UI"}
"""The fields of `Ports` that compose publishes (trim publishes none, so it scales), without and with `extras`."""


def profiles(env: Mapping[str, str]) -> list[str]:
    """The compose profiles `up` enables: COMPOSE_PROFILES when set (even empty), else `extras`."""
    raw = env.get("COMPOSE_PROFILES")
    return [EXTRAS] if raw is None else [p.strip() for p in raw.split(",") if p.strip()]


def published(ports: Ports, *, extras: bool) -> tuple[Port, ...]:
    """The host ports compose publishes, each with the variable that moves it."""
    chosen = {**CORE, **(EXTRA if extras else {})}
    return tuple(Port(getattr(ports, field), what, VARIABLES[field]) for field, what in chosen.items())


def token_variable(service: str) -> str:
    """The variable deploy/docker-compose.yml gives `service` its Consul token in (`STACK_CONSUL_TRIM_TOKEN`)."""
    return f"STACK_CONSUL_{service.upper()}_TOKEN"


def acl_env(tokens: acl.Tokens) -> dict[str, str]:
    """What deploy/docker-compose.yml reads to close Consul: the agent's ACL configuration (a compose secret, written
    into Consul's container) and the token each service registers with (add, trim, and any `make new-service`
    made)."""
    secrets = {"add": tokens.add, "trim": tokens.trim, **tokens.services}
    return {"STACK_CONSUL_ACL_CONFIG": acl.agent_config(tokens)} | {
        token_variable(name): secret for name, secret in secrets.items()
    }


def compose_env(root: Path, env: Mapping[str, str], tokens: acl.Tokens | None = None) -> dict[str, str]:
    """`env` plus what deploy/docker-compose.yml reads: each published port (STACK_PORT_OFFSET applied, as
    Ports.from_env reads it), the profiles, git's tag and labels, when Jaeger does not run no trace exporter, and
    with `tokens` Consul's ACL secrets (`acl_env`) and Prometheus' configuration with its own token
    (STACK_PROMETHEUS_CONFIG); these win over `env`. Tag, labels and exporter set in `env` win."""
    ports = Ports.from_env(env)
    chosen = profiles(env)
    defaults = image_labels(root)
    if EXTRAS not in chosen:
        defaults["STACK_TRACES_EXPORTER"] = "none"
    port_vars = {VARIABLES[field]: str(getattr(ports, field)) for field in (*CORE, *EXTRA)}
    secrets = {}
    if tokens is not None:
        secrets = acl_env(tokens) | {"STACK_PROMETHEUS_CONFIG": prometheus.compose_config(root, tokens.prometheus)}
    return {**defaults, **env, **port_vars, **secrets, "COMPOSE_PROFILES": ",".join(chosen)}


def close_consul(ports: Ports, tokens: acl.Tokens, *, timeout: float) -> None:
    """Creates Consul's policies and the parts' tokens (`acl.setup`) through its published port, retrying while the
    agent is not ready (after a start or a restart); StackError after `timeout` seconds."""
    address = f"127.0.0.1:{ports.consul_http}"  # published on 127.0.0.1 (Addresses.compose)
    deadline = time.monotonic() + timeout
    while True:
        try:
            acl.setup(address, tokens)
            return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if time.monotonic() >= deadline:
                raise StackError(f"cannot set up Consul's ACLs at {address}: {exc}") from None
        time.sleep(0.5)


def running_tag() -> str | None:
    """The image tag of the running stack's add, so that `scale` starts trims of the images `up` built even after
    a commit has moved git's tag."""
    labels = [f"label=com.docker.compose.project={PROJECT}", "label=com.docker.compose.service=add"]
    cmd = ["docker", "ps", *(x for label in labels for x in ("--filter", label)), "--format", "{{.Image}}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    images = done.stdout.split() if done.returncode == 0 else []
    return tag_of(images[0]) if images else None


def compose_command() -> list[str]:
    """`docker compose` (the v2 plugin) when present, else a `docker-compose` on PATH."""
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False, timeout=20)
    if probe.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    raise StackError("Docker answers but has no Compose: install the compose plugin, or run with MODE=local")


def commands(compose: Sequence[str], file: Path, *, trims: int = 2, timeout: int = 120) -> dict[str, list[str]]:
    """The compose command line of each verb. `down` names every profile, so it also stops what another
    COMPOSE_PROFILES started."""
    base = [*compose, "-f", str(file)]
    waited = ["--wait", "--wait-timeout", str(timeout)]
    scaled = ["--scale", f"trim={trims}", *waited]
    return {
        "consul": [*base, "up", "-d", *waited, "consul"],
        "up": [*base, "up", "-d", "--build", *scaled],
        "scale": [*base, "up", "-d", "--no-build", "--no-recreate", *scaled],
        "down": [*base, "--profile", "*", "down", "--remove-orphans", "--volumes"],
        "ps": [*base, "ps"],
        "running": [*base, "ps", "--status", "running", "-q"],
        "logs": [*base, "logs", "--no-color"],
        "restart": [*base, "restart"],
    }


def up(
    root: Path,
    env: Mapping[str, str],
    tokens_file: Path,
    *,
    trims: int,
    timeout: int,
    services: Sequence[str] = (),
    out: TextIO | None = None,
) -> None:
    """`compose up --wait`: Consul first, closed with the secrets of `tokens_file` (made the first time; a token for
    each of the extra `services` too), then the rest: builds, starts, and waits for every health check; refuses a
    second start."""
    out = sys.stdout if out is None else out
    tokens = acl.Tokens.load_or_make(tokens_file, services)
    cenv = compose_env(root, env, tokens)
    cmds = commands(compose_command(), root / "deploy" / "docker-compose.yml", trims=trims, timeout=timeout)
    running = subprocess.run(cmds["running"], capture_output=True, text=True, check=False, timeout=60, env=cenv)
    if running.returncode == 0 and running.stdout.strip():
        raise StackError("the stack already runs under Docker Compose.\n`make ps` shows it, `make down` stops it.")
    ports = Ports.from_env(env)
    extras = EXTRAS in profiles(env)
    taken = busy(published(ports, extras=extras))
    if taken:
        raise StackError(describe_busy(taken, holder=procs.holder))
    started = time.monotonic()
    print(f"starting the stack with Docker Compose ({trims} trims) ...", file=out, flush=True)
    # Consul alone, then its policies and tokens, so that add and the trims find theirs when they register
    if subprocess.run(cmds["consul"], check=False, env=cenv).returncode != 0:
        raise StackError(
            "docker compose could not start Consul; `make logs PART=consul` shows why, `make down` cleans up"
        )
    close_consul(ports, tokens, timeout=timeout)
    if subprocess.run(cmds["up"], check=False, env=cenv).returncode != 0:
        raise StackError("docker compose up failed; `make logs` shows the containers' logs, `make down` cleans up")
    elapsed = time.monotonic() - started
    where = Addresses.compose(ports, extras=extras)
    print(summary(where, trims=trims, seconds=elapsed, mode="Docker Compose"), file=out)
    print(f"Consul's ACL tokens (management, add, trim, prometheus): {tokens_file} (0600)", file=out)


def run(
    root: Path,
    env: Mapping[str, str],
    tokens_file: Path,
    verb: str,
    extra: Sequence[str] = (),
    *,
    trims: int = 2,
    timeout: int = 120,
    services: Sequence[str] = (),
) -> int:
    """Runs `restart`, `scale`, `down`, `ps` or `logs` through compose and returns its exit code. A restarted dev
    Consul has forgotten its policies and tokens: they are made again (the services register again by themselves)."""
    cmds = commands(compose_command(), root / "deploy" / "docker-compose.yml", trims=trims, timeout=timeout)
    tokens = acl.Tokens.load_or_make(tokens_file, services)
    cenv = compose_env(root, env, tokens)
    if "STACK_IMAGE_TAG" not in env:
        cenv["STACK_IMAGE_TAG"] = running_tag() or cenv["STACK_IMAGE_TAG"]
    code = subprocess.run([*cmds[verb], *extra], check=False, env=cenv).returncode
    if code == 0 and verb == "restart" and (not extra or "consul" in extra):
        close_consul(Ports.from_env(env), tokens, timeout=timeout)
    return code


__all__ = [
    "EXTRAS",
    "PROJECT",
    "acl_env",
    "close_consul",
    "commands",
    "compose_command",
    "compose_env",
    "image_labels",
    "profiles",
    "published",
    "run",
    "running_tag",
    "tag_of",
    "token_variable",
    "trust_machine_cas",
    "up",
]
