"""schemathesis, every check, against each service's own /openapi.json, served by the real processes (`python -m
trimsvc`, `python -m addsvc` calling that trim): the document and the behaviour agree, status by status and body by
body, for generated valid and invalid requests. `schemathesis_hooks.py` adds a check of the answers' values and
says which failure it drops (a business refusal the document names, when the request is the one it names).

Bounded and reproducible: a fixed seed, no example database, at most EXAMPLES test cases per operation, one
worker: 497 requests to add's 5 operations, 245 to trim's 4. Measured on this 2-core machine with others' tests
at load 8-11: 43-53 s for this file (schemathesis 15-33 s on add, 11-26 s on trim, the rest the two processes'
start, which once took 50 s alone at load 10).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.procs import ServiceProcess, add_process, start_all, stop_all, trim_process

pytestmark = pytest.mark.integration

TESTS = Path(__file__).resolve().parents[1]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SEED = 20261130
EXAMPLES = 200
"""Per operation (the simple ones, /health and /metrics, are done sooner): 300 took 73-78 s at load 6-13."""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServiceProcess]]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    trim = trim_process(tmp, "trim", env={"TRIM_REGISTER": "false"})
    # add's deadlines widened: this checks what the answers are, not how fast a busy machine gives them
    add_env = {"ADD_REGISTER": "false", "TRIM_INSTANCES": trim.grpc_address}
    add = add_process(tmp, env={**add_env, "ADD_TRIM_TIMEOUT": "5", "ADD_REQUEST_TIMEOUT": "10"})
    start_all(trim, add)
    try:
        yield {"add": add, "trim": trim}
    finally:
        stop_all(add, trim)


@pytest.mark.parametrize("name", ["add", "trim"])
def test_schemathesis_finds_the_document_and_the_behaviour_in_agreement(
    services: dict[str, ServiceProcess], name: str, tmp_path: Path
) -> None:
    argv = [
        str(SCHEMATHESIS), "run", f"{services[name].http_url}/openapi.json",
        "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", str(SEED),
        "--generation-database", "none", "--workers", "1", "--no-color", "--request-timeout", "15",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "api.schemathesis_hooks", "PYTHONPATH": str(TESTS)}
    began = time.monotonic()
    # run in tmp_path: schemathesis keeps a cache of crashes in its working folder, which must not replay here
    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.monotonic() - began
    print(f"[schemathesis] {name}: {seconds:.1f} s\n{done.stdout[-1500:]}", file=sys.stderr)
    assert done.returncode == 0, f"{done.stdout[-8000:]}\n{done.stderr[-3000:]}"
    assert re.search(r"Test cases:\s+\d+ generated, \d+ passed", done.stdout), done.stdout[-3000:]
    if name == "add":  # /sum's second example overflows: its refusal was checked (answers_are_right) and dropped
        dropped = re.search(r"Filtered: (\d+) \(dropped by `filter_failure`\)", done.stdout)
        assert dropped is not None and int(dropped.group(1)) >= 1, done.stdout[-3000:]
