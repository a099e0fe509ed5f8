"""The services the stack runs, as its files describe them (add, trim and any `make new-service` wrote), and the
dev tools the stack's file checks run; shared by the compose and the Dockerfile checks."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = {path.parent.name: path for path in sorted(ROOT.glob("services/*/Dockerfile"))}
GENERATED = {path.parent.name: tomllib.loads(path.read_text()) for path in sorted(ROOT.glob("services/*/stack.toml"))}
"""Services `make new-service` wrote (none in this repository; the generator's test runs the stack's file checks in
a copy)."""
SERVICES = ("add", "trim", *GENERATED)
PORTS = {
    "add": ("8080", "8081"),
    "trim": ("8975", "8985"),
    **{name: (str(data["grpc_port"]), str(data["http_port"])) for name, data in GENERATED.items()},  # as trim's
}


def dev_tool(name: str, package: str) -> str:
    """A command-line tool from the project's venv (or PATH); the failure says which dev package provides it."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found is not None, f"{name} is missing: it comes with the dev dependency {package}"
    return found
