"""`make new-service NAME=echo` as a person would run it, in a copy of the repository: the generated service passes
its own tests and the project's lint, then `make up` runs it beside add and trim, registered in Consul, and it
answers over HTTP and gRPC at the address Consul gives for it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from e2e.e2e_stack import free_offset

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]


def _run(cwd: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's files with its own venv (from uv's cache) and the installed Consul and
    Prometheus, in which `make new-service NAME=echo` has run."""
    copy = tmp_path_factory.mktemp("generated") / "repo"
    files = _run(ROOT, "git", "ls-files", "-z").split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    (copy / ".tools").mkdir()
    for part in ("bin", "root", "uv"):  # Consul, Prometheus and uv as `make install` put them; nothing is written there
        (copy / ".tools" / part).symlink_to(ROOT / ".tools" / part)
    if (ROOT / ".mypy_cache").is_dir():
        shutil.copytree(ROOT / ".mypy_cache", copy / ".mypy_cache")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    _run(
        copy,
        str(copy / ".tools" / "uv" / "bin" / "uv"),
        "sync",
        "--frozen",
        "--quiet",
        env={**env, "UV_PROJECT_ENVIRONMENT": str(copy / ".venv")},
    )
    out = _run(copy, "make", "--no-print-directory", "new-service", "NAME=echo", env=env)
    assert "echo is a service of the workspace" in out
    return copy


def test_the_generated_service_passes_its_tests_and_the_lint(repo: Path) -> None:
    new = ["services/echo/src", "tests/services/test_echo_service.py"]
    bin_ = repo / ".venv" / "bin"
    _run(repo, str(bin_ / "ruff"), "check", *new)
    _run(repo, str(bin_ / "ruff"), "format", "--check", *new)
    _run(repo, str(bin_ / "mypy"), *new)
    assert "0 broken" in _run(repo, str(bin_ / "lint-imports"))
    passed = _run(repo, str(bin_ / "pytest"), "-q", "-p", "no:cacheprovider", "tests/services/test_echo_service.py")
    assert " passed" in passed
    assert "failed" not in passed
    _run(repo, str(bin_ / "pytest"), "-q", "-p", "no:cacheprovider", "tests/test_proto_generated.py")


def test_make_up_runs_it_registered_in_consul_over_http_and_grpc(repo: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STACK_", "UV_", "VIRTUAL_ENV"))}
    env.update(MODE="local", TRIM="1", STACK_RUN_DIR=str(tmp_path / "run"), STACK_PORT_OFFSET=str(free_offset(1)))
    env.update(STACK_UP_TIMEOUT="120")
    try:
        up = _run(repo, "make", "--no-print-directory", "up", env=env)
        assert "the stack is up" in up
        consul = 8500 + int(env["STACK_PORT_OFFSET"])
        entries = httpx.get(f"http://127.0.0.1:{consul}/v1/health/service/echo?passing=1", timeout=5).json()
        assert len(entries) == 1
        service = entries[0]["Service"]
        http = f"http://{service['Address']}:{service['Meta']['http_port']}"
        assert httpx.post(f"{http}/echo", json={"s": "a b"}, timeout=5).json() == {"s": "a b"}
        grpc_address = f"{service['Address']}:{service['Port']}"
        answer = _run(repo, str(repo / ".venv" / "bin" / "kit"), "call", grpc_address, "pb.Echo/Echo", '{"s": "a b"}')
        assert json.loads(answer) == {"s": "a b"}
        assert "echo " in _run(repo, "make", "--no-print-directory", "ps", env=env)
    finally:
        _run(repo, "make", "--no-print-directory", "down", env=env)
