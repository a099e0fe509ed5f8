"""Renders Prometheus' configuration from `prometheus.yml.in`, so compose, the stack without Docker and the tests
all run one configuration that differs only in where Consul and Prometheus itself are.

    python deploy/prometheus/render_config.py [--consul ADDR] [--token TOKEN] [--self HOST:PORT] [-o FILE]
    python deploy/prometheus/render_config.py --write-committed   # after editing prometheus.yml.in

Prometheus 2.24 reads no environment variables in its configuration, so the Consul address and token are filled
in here; by default from Consul's own variables CONSUL_HTTP_ADDR (`host:port` or `http(s)://host:port`) and
CONSUL_HTTP_TOKEN. Only the standard library is used, so any Python 3.11 can run it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "prometheus.yml.in"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
GENERATED_HEADER = (
    "# GENERATED from prometheus.yml.in by render_config.py: do not edit. Edit the template, then run\n"
    "#   python deploy/prometheus/render_config.py --write-committed\n"
)


@dataclass(frozen=True)
class Consul:
    """Where Prometheus finds Consul's HTTP API, and the ACL token it presents (empty: none)."""

    server: str
    scheme: str = "http"
    token: str = ""


@dataclass(frozen=True)
class Variant:
    """Everything that differs between two deployments of the same configuration."""

    consul: Consul
    self_target: str
    rules_dir: str


COMMITTED: Mapping[str, Variant] = {
    # docker compose: Consul's container is `consul`; Prometheus scrapes itself inside its own container.
    "prometheus.yml": Variant(Consul("consul:8500"), self_target="localhost:9090", rules_dir="rules"),
    # the stack without Docker, on the default ports of docs/contracts.md.
    "prometheus.native.yml": Variant(Consul("127.0.0.1:8500"), self_target="127.0.0.1:9090", rules_dir="rules"),
}
"""The rendered files kept in this folder (relative rule paths resolve against the config file's folder)."""

COMPOSE_RULES_DIR = "/etc/prometheus/rules"
"""Where compose's Prometheus finds rules/ (deploy/docker-compose.yml mounts this folder at /etc/prometheus)."""


def compose_with_token(token: str, *, template: str | None = None) -> str:
    """Compose's configuration (`prometheus.yml`) with Prometheus' own Consul ACL `token`, which `make up
    MODE=docker` hands compose as the secret Prometheus reads (/run/secrets/prometheus.yml): Prometheus 2.24 takes
    Consul's token only inline. The rules path is absolute, as the secret does not lie beside the rules."""
    committed = COMMITTED["prometheus.yml"]
    variant = replace(committed, consul=replace(committed.consul, token=token), rules_dir=COMPOSE_RULES_DIR)
    return render(TEMPLATE.read_text() if template is None else template, variant)


def consul_from_address(address: str, *, token: str = "") -> Consul:
    """Reads an address in CONSUL_HTTP_ADDR's forms: `host:port`, `http://host:port` or `https://host:port`."""
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "http", scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported Consul scheme {scheme!r} in {address!r}")
    server = rest.rstrip("/")
    if not re.fullmatch(r"[^\s/:]+:\d+|\[[0-9a-fA-F:.]+\]:\d+", server):
        raise ValueError(f"Consul address must be host:port, got {address!r}")
    return Consul(server, scheme=scheme, token=token)


def render(template: str, variant: Variant) -> str:
    """The configuration text for `variant`: every placeholder replaced by a quoted YAML scalar."""
    values = {
        "CONSUL_SERVER": variant.consul.server,
        "CONSUL_SCHEME": variant.consul.scheme,
        "CONSUL_TOKEN": variant.consul.token,
        "SELF_TARGET": variant.self_target,
        "KIT_RULES": f"{variant.rules_dir.rstrip('/')}/kit.rules.yml",
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"unknown placeholder @{name}@ in the template")
        # JSON strings are valid YAML double-quoted scalars, so no value can break the document's structure.
        return json.dumps(values[name])

    _, _, body = template.partition("\n\n")  # drops the template's own header comment
    return GENERATED_HEADER + "\n" + PLACEHOLDER.sub(fill, body)


def write_committed(*, folder: Path = HERE, template: str | None = None) -> list[Path]:
    """Rewrites the committed renders of the template in `folder`; returns the files written."""
    text = TEMPLATE.read_text() if template is None else template
    written = []
    for name, variant in COMMITTED.items():
        path = folder / name
        path.write_text(render(text, variant))
        written.append(path)
    return written


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--consul", default=os.environ.get("CONSUL_HTTP_ADDR", "127.0.0.1:8500"))
    parser.add_argument("--token", default=os.environ.get("CONSUL_HTTP_TOKEN", ""))
    parser.add_argument("--self", dest="self_target", default="127.0.0.1:9090", help="Prometheus' own host:port")
    parser.add_argument("--rules-dir", default=str(HERE / "rules"), help="folder of kit.rules.yml (absolute)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--write-committed", action="store_true", help=f"rewrite {', '.join(COMMITTED)} here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    args = _parser().parse_args(argv)
    if args.write_committed:
        for path in write_committed():
            print(f"wrote {path}", file=sys.stderr)
        return 0
    variant = Variant(
        consul_from_address(args.consul, token=args.token),
        self_target=args.self_target,
        rules_dir=args.rules_dir,
    )
    text = render(TEMPLATE.read_text(), variant)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        if variant.consul.token:
            args.output.chmod(0o600)  # the token is a secret
    return 0


if __name__ == "__main__":
    sys.exit(main())
