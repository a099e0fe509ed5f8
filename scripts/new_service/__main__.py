"""`make new-service NAME=echo` (`python scripts/new_service NAME`): writes a new service on the kit and wires it
into the repository, so that `make test` tests it and `make up` runs it.

Written: services/NAME/ (pyproject, Dockerfile, stack.toml, the package NAMEsvc shaped as add's: service,
middleware (logging, a business counter), endpoints, config, a main.py whose onion is spelled out one middleware a
line, HTTP and gRPC transports, pb/NAME.proto and its generated code) and tests/services/test_NAME_service.py.
Edited: the root pyproject.toml (workspace member, dependency, mypy path, import-linter contracts), uv.lock, every
Dockerfile (the workspace's pyproject files), .dockerignore, deploy/docker-compose.yml (a service made from
trim's), and deploy/grafana/panels.toml (a row of the service's panels; both dashboards rendered again); the
swarm stack file deploy/swarm/docker-stack.yml is derived again from the compose file.
The local stack runs every services/*/stack.toml and gives each its own Consul ACL token
(deploy/local/kitstack/acl.py); Consul registration, metrics and Prometheus discovery (by the `http` tag) come
with the kit. Standard library only, besides `uv` and the dev group's grpc_tools and ruff.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from string import Template

from edits import (
    AnchorMissing,
    add_compose_service,
    add_dashboard_row,
    add_dockerfile_copies,
    add_dockerignore,
    add_to_pyproject,
    taken_ports,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).resolve().parent / "template"
NAME = re.compile(r"[a-z][a-z0-9]{1,11}")


class Refused(ValueError):
    """The name cannot be used; the message says why."""


def check(root: Path, name: str) -> None:
    if not NAME.fullmatch(name):
        raise Refused(f"NAME={name!r}: want 2 to 12 lowercase letters or digits, starting with a letter")
    if (root / "services" / name).exists():
        raise Refused(f"services/{name} exists already")
    if name in ("kit", "pb", "test", "tests", "stack", "consul", "prometheus", "grafana", "jaeger"):
        raise Refused(f"NAME={name!r} is a name the repository uses already")


def values(root: Path, name: str) -> dict[str, str]:
    http = 8090
    while {http, http + 1} & taken_ports(root):
        http += 10
    return {
        "name": name,
        "Name": name.capitalize(),
        "NAME": name.upper(),
        "pkg": f"{name}svc",
        "http_port": str(http),
        "grpc_port": str(http + 1),
    }


def target(root: Path, relative: Path, v: dict[str, str]) -> Path:
    """Where a template file goes: src/pkg/... into the service's package, tests/... beside the other tests."""
    parts = relative.with_suffix("").parts  # drop .tmpl
    if parts[0] == "tests":
        return root / "tests" / "services" / f"test_{v['name']}_service.py"
    service = root / "services" / v["name"]
    if parts[:2] == ("src", "pkg"):
        rest = list(parts[2:])
        if rest == ["pb", "proto"]:
            rest = ["pb", f"{v['name']}.proto"]
        return service.joinpath("src", v["pkg"], *rest)
    return service.joinpath(*parts)


def write_files(root: Path, v: dict[str, str]) -> list[Path]:
    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        dest = target(root, source.relative_to(TEMPLATE), v)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(Template(source.read_text()).substitute(v))
        written.append(dest)
    dockerfile = root / "services" / v["name"] / "Dockerfile"
    dockerfile.write_text(from_trim((root / "services" / "trim" / "Dockerfile").read_text(), v))
    written.append(dockerfile)
    return written


def from_trim(text: str, v: dict[str, str]) -> str:
    """trim's Dockerfile, made the new service's (it stays as the containers' owners keep trim's); AnchorMissing
    when trim's has changed so that a replacement no longer applies."""
    for old, new in (
        ("trim: TrimSpace over gRPC (and HTTP)", f"{v['name']}: Echo over gRPC and HTTP"),
        ("services/trim/Dockerfile", f"services/{v['name']}/Dockerfile"),
        ("services/trim/src", f"services/{v['name']}/src"),
        ("trimsvc", v["pkg"]),
        ("TRIM_", f"{v['NAME']}_"),
        ("8975", v["grpc_port"]),
        ("8985", v["http_port"]),
        ("# trim:", f"# {v['name']}:"),
        ("trim and the kit", f"{v['name']} and the kit"),
    ):
        if old not in text:
            raise AnchorMissing(f"services/trim/Dockerfile: no {old!r} to make {v['name']}'s Dockerfile from")
        text = text.replace(old, new)
    return text


class StepFailed(RuntimeError):
    """A step of the generation failed; the message names it."""


def run(root: Path, *argv: str) -> None:
    done = subprocess.run(argv, cwd=root, check=False)
    if done.returncode != 0:
        raise StepFailed(f"`{' '.join(argv)}` failed")


def lock(root: Path, uv: str) -> None:
    """Locks the workspace with the new member: from uv's cache when it holds what a lock needs, else from the
    package index (a cache filled by `uv sync --frozen` holds wheels but not the index pages a lock reads)."""
    if subprocess.run([uv, "lock", "--offline", "--quiet"], cwd=root, check=False, capture_output=True).returncode:
        print("new-service: uv's cache cannot lock offline; locking from the package index", file=sys.stderr)
        run(root, uv, "lock")


# What the generation edits or writes outside the new service's own folder; all of it is restored on a failure.
TOUCHED = ("pyproject.toml", "uv.lock", ".dockerignore", "deploy", "services", "tests/services")


class Snapshot:
    """The bytes of every file under `TOUCHED`, to put the tree back as it was when a step fails."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = {f: f.read_bytes() for f in self._walk()}

    def _walk(self) -> list[Path]:
        found = []
        for top in TOUCHED:
            path = self.root / top
            for f in [path] if path.is_file() else path.rglob("*") if path.is_dir() else []:
                if f.is_file() and not f.is_symlink() and "__pycache__" not in f.parts:
                    found.append(f)
        return found

    def restore(self, service: Path) -> None:
        shutil.rmtree(service, ignore_errors=True)
        for f in self._walk():
            if f not in self.files:
                f.unlink()
        for f, content in self.files.items():
            if not f.exists() or f.read_bytes() != content:
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(content)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make new-service NAME=<name>   (e.g. NAME=echo)", file=sys.stderr)
        return 2
    name = argv[0].strip()
    try:
        check(ROOT, name)
    except Refused as exc:
        print(f"new-service: {exc}", file=sys.stderr)
        return 2
    uv = str(ROOT / ".tools" / "uv" / "bin" / "uv")
    bin_ = ROOT / ".venv" / "bin"
    missing = [str(t) for t in (Path(uv), bin_ / "python", bin_ / "ruff") if not t.exists()]
    if missing:
        print(f"new-service: {', '.join(missing)} missing: run `make install` first", file=sys.stderr)
        return 2
    v = values(ROOT, name)
    snapshot = Snapshot(ROOT)
    try:
        written = generate(v, uv)
    except (StepFailed, AnchorMissing, OSError) as exc:
        snapshot.restore(ROOT / "services" / name)
        print(f"new-service: {exc}; nothing was changed (the tree is as it was)", file=sys.stderr)
        return 1
    except BaseException:
        snapshot.restore(ROOT / "services" / name)
        raise
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    print(
        f"\n{name} is a service of the workspace: `make test` tests it, `make up` runs it "
        f"(HTTP {v['http_port']}, gRPC {v['grpc_port']}; registered in Consul as {name} with a token of its own; "
        f"a row of panels in both dashboards).\n"
        f"Its business is in services/{name}/src/{v['pkg']}/service.py; its wire contract in "
        f"services/{name}/src/{v['pkg']}/pb/{name}.proto (`make proto` after editing)."
    )
    return 0


def generate(v: dict[str, str], uv: str) -> list[Path]:
    """Writes the service and wires it in; raises StepFailed (or AnchorMissing) at the first step that fails."""
    written = write_files(ROOT, v)
    add_to_pyproject(ROOT / "pyproject.toml", v)
    add_dockerfile_copies(ROOT, v)
    add_dockerignore(ROOT / ".dockerignore", v)
    add_compose_service(ROOT / "deploy" / "docker-compose.yml", v)
    add_dashboard_row(ROOT / "deploy" / "grafana" / "panels.toml", v)
    lock(ROOT, uv)
    run(ROOT, uv, "sync", "--frozen", "--inexact")
    run(ROOT, "bash", "scripts/gen-proto.sh")
    run(ROOT, str(ROOT / ".venv" / "bin" / "python"), "deploy/grafana/render_dashboards.py")
    # the swarm stack file is derived from the compose file (a test checks they agree): derived again
    run(ROOT, str(ROOT / ".venv" / "bin" / "python"), "-m", "deploy.swarm", "stack", "--write")
    # the templates' imports are sorted for no name in particular: the project's own ruff sorts them for this one
    python_files = [str(p) for p in written if p.suffix == ".py"]
    run(ROOT, str(ROOT / ".venv" / "bin" / "ruff"), "check", "--fix", "--quiet", *python_files)
    run(ROOT, str(ROOT / ".venv" / "bin" / "ruff"), "format", "--quiet", *python_files)
    return written


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
