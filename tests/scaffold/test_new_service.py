"""`make new-service NAME=echo` as a person would run it, in a copy of the repository: the generated service passes
its own tests and the project's `make lint` (ruff, mypy --strict, import-linter), its protobuf code and the
dashboards are fresh, then `make up` runs it beside add and trim, registered in the ACL-enforcing Consul with a
token of its own, and it answers over HTTP and gRPC at the address Consul gives for it; Prometheus scrapes it.

The stack is then healed as when a service is generated while it runs: echo stopped and its token unknown to Consul,
`make up` starts echo alone with a new token that Consul is told first.

Runtime (2 tests, one module-scoped copy): 50-100 s on this 2-core machine at load 3-9 (the copy and its venv from
uv's cache, generation, lint and tests about half; the stack up, calls, heal and down the rest)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.e2e_stack import free_offset

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]


def _run(cwd: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _readme_command() -> list[str]:
    """The command the README's "Adding a third service" gives: the test runs exactly it."""
    section = (ROOT / "README.md").read_text().split("\n## Adding a third service\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)\n```", section, re.S)
    assert block is not None, "README's 'Adding a third service' has no sh block"
    return shlex.split(block.group(1))


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
    command = _readme_command()
    assert command == ["make", "new-service", "NAME=echo"]
    out = _run(copy, command[0], "--no-print-directory", *command[1:], env=env)
    assert "echo is a service of the workspace" in out
    return copy


def test_the_generated_service_passes_its_tests_and_the_lint(repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    lint = _run(repo, "make", "--no-print-directory", "lint", env=env)  # ruff, mypy --strict (services/*/src), imports
    assert "services/echo/src" in lint
    assert "add and trim do not know echo KEPT" in lint
    assert "0 broken" in lint
    bin_ = repo / ".venv" / "bin"
    tests = [
        "tests/services/test_echo_service.py",
        "tests/test_proto_generated.py",
        "tests/deploy/test_deploy_dashboards.py",
        "tests/stack/test_stack_compose.py",  # the compose service
        "tests/stack/test_stack_dockerfiles.py",  # the Dockerfile (hadolint), .dockerignore
    ]
    passed = _run(repo, str(bin_ / "pytest"), "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *tests)
    assert " passed" in passed
    assert "failed" not in passed
    assert "skipped" not in passed
    kit_json = (repo / "deploy" / "grafana" / "dashboards" / "kit.json").read_text()
    assert "echo: requests per method, transport and outcome" in kit_json
    assert "echo_characters_echoed_total" in kit_json


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
        _assert_own_token(consul, tmp_path / "run" / "consul-tokens.json")
        _assert_scraped(9090 + int(env["STACK_PORT_OFFSET"]))
        forgotten = _as_if_generated_while_the_stack_ran(tmp_path / "run")
        healed = _run(repo, "make", "--no-print-directory", "up", env=env)
        assert "starting what is gone: echo" in healed
        tokens = json.loads((tmp_path / "run" / "consul-tokens.json").read_text())
        assert tokens["services"]["echo"] != forgotten
        _assert_own_token(consul, tmp_path / "run" / "consul-tokens.json")  # the new one, which Consul now knows
    finally:
        _run(repo, "make", "--no-print-directory", "down", env=env)


def _as_if_generated_while_the_stack_ran(run: Path) -> str:
    """echo stopped and its token forgotten (returned): what `make up` meets when a service was generated after the
    stack started (its Consul has no token for it yet)."""
    tokens_file = run / "consul-tokens.json"
    tokens = json.loads(tokens_file.read_text())
    old = tokens["services"].pop("echo")
    tokens_file.write_text(json.dumps(tokens))
    (echo,) = [p for p in json.loads((run / "state.json").read_text())["procs"] if p["name"] == "echo"]
    os.kill(echo["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{echo['pid']}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return str(old)


def _assert_own_token(consul: int, tokens_file: Path) -> None:
    """echo registered with a token of its own: write for the name echo and nothing else (anonymous may not
    register at all, so the passing registration above needed it)."""
    token = json.loads(tokens_file.read_text())["services"]["echo"]
    base = f"http://127.0.0.1:{consul}"
    me = httpx.get(f"{base}/v1/acl/token/self", headers={"X-Consul-Token": token}, timeout=5).json()
    assert [p["Name"] for p in me["Policies"]] == ["echo"]
    fake = {"Name": "trim", "ID": "fake-trim", "Address": "127.0.0.1", "Port": 1}
    refused = httpx.put(f"{base}/v1/agent/service/register", json=fake, headers={"X-Consul-Token": token}, timeout=5)
    assert refused.status_code == 403, refused.text
    anonymous = httpx.put(f"{base}/v1/agent/service/register", json={**fake, "Name": "echo"}, timeout=5)
    assert anonymous.status_code == 403, anonymous.text


def _assert_scraped(prometheus: int) -> None:
    """Prometheus found echo through Consul and scraped the requests above: the dashboard row's query has data."""
    query = 'sum(kit_requests_total{service="echo",outcome="ok"})'
    deadline = time.monotonic() + 90  # Consul discovery refreshes every 5 s, scrapes every 5 s
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        answer = httpx.get(f"http://127.0.0.1:{prometheus}/api/v1/query", params={"query": query}, timeout=5).json()
        seen = answer["data"]["result"]
        if seen and float(seen[0]["value"][1]) >= 2:  # one HTTP, one gRPC call
            return
        time.sleep(1)
    raise AssertionError(f"Prometheus has no echo requests after 90 s: {seen}")
