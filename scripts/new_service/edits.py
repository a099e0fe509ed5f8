"""The edits `make new-service` makes to files the repository shares: small textual insertions at fixed anchors,
each failing loudly when its anchor is gone (so a changed file is noticed, never silently half-edited)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path


class AnchorMissing(RuntimeError):
    """A file no longer has the text an edit inserts after."""


def _insert_after(text: str, anchor: str, addition: str, *, path: Path) -> str:
    at = text.find(anchor)
    if at < 0:
        raise AnchorMissing(f"{path}: cannot find {anchor!r}; add the new service there by hand")
    end = at + len(anchor)
    return text[:end] + addition + text[end:]


def taken_ports(root: Path) -> set[int]:
    """The ports the services' stack.toml files and the fixed stack already use."""
    taken = {3000, 8080, 8081, 8300, 8301, 8302, 8500, 9090, 16686, *range(8975, 8995)}
    for stack in root.glob("services/*/stack.toml"):
        data = tomllib.loads(stack.read_text())
        taken |= {int(data["http_port"]), int(data["grpc_port"])}
    return taken


def add_to_pyproject(path: Path, v: dict[str, str]) -> None:
    """The root pyproject: dependency, workspace member and source, mypy path, first-party name, and the
    import-linter contracts that keep the new service's layers apart."""
    pkg, name = v["pkg"], v["name"]
    text = path.read_text()
    text = re.sub(r'(dependencies = \["pygokit", [^\]]*)\]', rf'\1, "{pkg}"]', text, count=1)
    text = re.sub(r"(members = \[[^\]]*)\]", rf'\1, "services/{name}"]', text, count=1)
    text = _insert_after(text, "[tool.uv.sources]\n", f"{pkg} = {{ workspace = true }}\n", path=path)
    text = re.sub(r"(mypy_path = \[[^\]]*)\]", rf'\1, "services/{name}/src"]', text, count=1)
    text = re.sub(r"(known-first-party = \[[^\]]*)\]", rf'\1, "{pkg}"]', text, count=1)
    text = re.sub(r"(root_packages = \[[^\]]*)\]", rf'\1, "{pkg}"]', text, count=1)
    text = text.rstrip("\n") + "\n" + CONTRACTS.format(name=name, pkg=pkg)
    path.write_text(text)


CONTRACTS = """
[[tool.importlinter.contracts]]
name = "{name}: the service layer imports no transport, metrics or discovery library"
type = "forbidden"
source_modules = ["{pkg}.service", "{pkg}.middleware"]
forbidden_modules = [
    "grpc", "httpx", "fastapi", "starlette", "pydantic", "prometheus_client", "consul", "uvicorn", "opentelemetry",
    "kit.transport", "kit.sd", "kit.metrics", "kit.run", "{pkg}.endpoints", "{pkg}.transport", "{pkg}.pb",
]

[[tool.importlinter.contracts]]
name = "{name}: endpoints import no transport"
type = "forbidden"
source_modules = ["{pkg}.endpoints"]
forbidden_modules = [
    "grpc", "httpx", "fastapi", "starlette", "pydantic", "consul", "uvicorn",
    "kit.transport", "kit.run", "{pkg}.transport", "{pkg}.pb",
]

[[tool.importlinter.contracts]]
name = "{name} and the kit do not know each other's insides"
type = "forbidden"
source_modules = ["kit"]
forbidden_modules = ["{pkg}"]

[[tool.importlinter.contracts]]
name = "{name} meets the other services only through <svc>.client"
type = "forbidden"
source_modules = ["{pkg}"]
forbidden_modules = [
    "addsvc", "trimsvc.service", "trimsvc.endpoints", "trimsvc.transport", "trimsvc.main", "trimsvc.config",
    "trimsvc.middleware",
]

[[tool.importlinter.contracts]]
name = "add and trim do not know {name}"
type = "forbidden"
source_modules = ["addsvc", "trimsvc"]
forbidden_modules = ["{pkg}"]
"""


def add_dockerfile_copies(root: Path, v: dict[str, str]) -> None:
    """Every service image syncs the whole locked workspace, so each Dockerfile copies every member's pyproject."""
    line = f"COPY services/{v['name']}/pyproject.toml services/{v['name']}/\n"
    for dockerfile in sorted(root.glob("services/*/Dockerfile")):
        text = dockerfile.read_text()
        copies = list(re.finditer(r"^COPY services/[^/]+/pyproject\.toml services/[^/]+/\n", text, re.M))
        if not copies:
            raise AnchorMissing(f"{dockerfile}: no `COPY services/*/pyproject.toml` line to add {line.strip()!r} to")
        if line not in text:
            end = copies[-1].end()
            dockerfile.write_text(text[:end] + line + text[end:])


DASHBOARD_ROW = """
[[panels]]
id = "{name}_requests"
row = "{name}"
title = "{name}: requests per method, transport and outcome"
unit = "rate"
legend = ["method", "transport", "outcome"]
expr = 'sum by (method, transport, outcome) (rate(kit_requests_total{{service="{name}"}}[1m]))'
description = "{name}'s requests per second (written by make new-service)."

[[panels]]
id = "{name}_business"
row = "{name}"
title = "{name}: characters echoed"
unit = "rate"
legend = ["counter"]
expr = 'label_replace(sum(rate({name}_characters_echoed_total[1m])), "counter", "characters echoed", "", "")'
description = "{name}'s business counter per second (its middleware.py counts it)."
"""


def add_dashboard_row(path: Path, v: dict[str, str]) -> None:
    """The new service's row of panels at the end of deploy/grafana/panels.toml (both dashboards are rendered from
    it): its requests, and its business counter."""
    text = path.read_text()
    if "[[panels]]" not in text:
        raise AnchorMissing(f"{path}: no [[panels]] to add the {v['name']} row after")
    path.write_text(text.rstrip("\n") + "\n" + DASHBOARD_ROW.format(name=v["name"]))


def add_compose_service(path: Path, v: dict[str, str]) -> None:
    """A compose service for the new one, made from trim's as it stands (built from its own Dockerfile, registered
    in Consul, health-checked), without trim's replicas, before the top-level `volumes:`."""
    name, upper = v["name"], v["NAME"]
    text = path.read_text()
    found = re.search(r"^  trim:\n(?:(?: {4}.*)?\n)*", text, re.M)
    if found is None:
        raise AnchorMissing(f"{path}: no `trim` service to make the {name} service from")
    block = found.group(0).rstrip("\n") + "\n\n"
    for old, new in (
        ("  trim:\n", f"  {name}:\n"),
        ("services/trim/Dockerfile", f"services/{name}/Dockerfile"),
        ("gokit/trimsvc:", f"gokit/{v['pkg']}:"),
        ("TRIM_HOST:", f"{upper}_HOST:"),
        ("STACK_CONSUL_TRIM_TOKEN", f"STACK_CONSUL_{upper}_TOKEN"),  # its own Consul token (kitstack.docker.acl_env)
        ("OTEL_SERVICE_NAME: trim\n", f"OTEL_SERVICE_NAME: {name}\n"),
        ('- "8975"', f'- "{v["grpc_port"]}"'),
        ('- "8985"', f'- "{v["http_port"]}"'),
        (":8985/health", f":{v['http_port']}/health"),
        ("    deploy:\n      replicas: 2\n", ""),
    ):
        if old not in block:
            raise AnchorMissing(f"{path}: trim's service has no {old.strip()!r} to make the {name} service from")
        block = block.replace(old, new)
    anchor = "\nvolumes:\n"
    at = text.find(anchor)
    if at < 0:
        raise AnchorMissing(f"{path}: no top-level `volumes:` to add the {name} service before")
    path.write_text(text[: at + 1] + block + text[at + 1 :])


def add_dockerignore(path: Path, v: dict[str, str]) -> None:
    """The build context keeps the new member's manifest and sources: every image copies the manifest, the new
    service's image its sources."""
    name = v["name"]
    lines = f"!services/{name}/pyproject.toml\n!services/{name}/src/\n"
    text = path.read_text()
    if lines in text:
        return
    kept = list(re.finditer(r"^!services/[^/]+/src/\n", text, re.M))
    if not kept:
        raise AnchorMissing(f"{path}: no `!services/*/src/` line to add {name}'s after")
    end = kept[-1].end()
    path.write_text(text[:end] + lines + text[end:])


__all__ = [
    "AnchorMissing",
    "add_compose_service",
    "add_dashboard_row",
    "add_dockerfile_copies",
    "add_dockerignore",
    "add_to_pyproject",
    "taken_ports",
]
