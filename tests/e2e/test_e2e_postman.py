"""deploy/postman/kit.postman_collection.json against the running stack, run by newman (the Postman collection
runner, installed project-locally by deploy/postman/install.sh), so that the collection's own `pm.test` scripts are
what is checked; newman's JSON report shows every request ran and every assertion passed."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.e2e_stack import ROOT, RunningStack

POSTMAN = ROOT / "deploy" / "postman"
COLLECTION = POSTMAN / "kit.postman_collection.json"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

needs_newman = pytest.mark.skipif(
    not NEWMAN.exists() or shutil.which("node") is None,
    reason="newman is not installed: run `bash deploy/postman/install.sh` (needs node and npm) to enable",
)


def _requests(items: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every request item of the collection, depth first (folders hold items of their own)."""
    for item in items:
        if "item" in item:
            yield from _requests(item["item"])
        else:
            yield item


def _collection() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(COLLECTION.read_text())
    return data


def _newman(stack: RunningStack, report: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(NEWMAN),
            "run",
            str(COLLECTION),
            "--env-var",
            f"add_url={stack.add_url}",
            "--env-var",
            f"trim_url={stack.trim_urls[0]}",
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--timeout-request",
            "10000",
            "--color",
            "off",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _run_report(report: Path) -> dict[str, Any]:
    run: dict[str, Any] = json.loads(report.read_text())["run"]
    return run


@needs_newman
def test_every_request_of_the_collection_runs_and_every_assertion_passes(stack: RunningStack, tmp_path: Path) -> None:
    report = tmp_path / "newman.json"
    result = _newman(stack, report)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr
    run = _run_report(report)
    assert run["failures"] == []
    for kind in ("requests", "testScripts", "prerequestScripts", "assertions"):
        assert run["stats"][kind]["failed"] == 0, kind
    wanted = [item["id"] for item in _requests(_collection()["item"])]
    ran = [execution["item"]["id"] for execution in run["executions"]]
    assert ran == wanted  # each request exactly once, in the collection's order
    for execution in run["executions"]:
        name = execution["item"]["name"]
        passed = [a["assertion"] for a in execution["assertions"] if not a.get("skipped") and "error" not in a]
        assert len(passed) >= 2, f"{name}: want a status and a body check, got {passed}"
        assert any(a[:1].isdigit() for a in passed), f"{name}: no status assertion in {passed}"
        assert "response" in execution, f"{name}: no response"


@needs_newman
def test_newman_fails_on_a_wrong_answer(stack: RunningStack, tmp_path: Path) -> None:
    # with a limit below the stack's 1024, "result too long" builds a body the stack accepts: its 400 check fails
    report = tmp_path / "newman.json"
    result = _newman(stack, report, "--folder", "add", "--env-var", "max_concat_length=500")
    assert result.returncode == 1, result.stdout[-4000:]
    failed = {(f["source"]["name"], f["error"]["test"]) for f in _run_report(report)["failures"]}
    assert failed == {("concat: result too long", "400"), ("concat: result too long", 'error says "result too long"')}


def _routes(openapi: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, methods in openapi["paths"].items() for method in methods}


@pytest.mark.parametrize("service", ["add", "trim"])
def test_the_collection_covers_every_http_route(stack: RunningStack, service: str) -> None:
    base = stack.add_url if service == "add" else stack.trim_urls[0]
    served = _routes(httpx.get(f"{base}/openapi.json", timeout=5).json()) | {("GET", "/openapi.json"), ("GET", "/docs")}
    variable = "{{" + service + "_url}}"
    covered = {
        (item["request"]["method"], item["request"]["url"]["raw"].removeprefix(variable))
        for item in _requests(_collection()["item"])
        if item["request"]["url"]["raw"].startswith(variable)
    }
    assert covered == served
    assert ("POST", "/sum" if service == "add" else "/trim") in covered
