"""Docker swarm mode for real: three Debian dockerd engines, each in a network namespace of its own, joined into one
swarm; the images pushed to a local registry (Debian's docker-registry) and pulled by every engine from it; the
project's stack deployed with `docker stack deploy -c deploy/swarm/docker-stack.yml` (derived from the compose
file, tests/swarm/test_swarm_stack.py); trims a replicated service on all three engines, registered in Consul with
their overlay addresses and scraped by Prometheus through Consul; then the engine of a trim drained while the
callers' host sends add 10 requests/s.

Asserted: no request fails during the drain (every answer 200 with the right body), the trim left the drained
engine and a replacement runs elsewhere, passing in Consul and in add's set. Latencies are reported
(.run/swarm-test/drain-figures.json), not asserted. add's deadlines are widened (trim 6 s, request 10 s) as in the
container test: on this shared 2-core machine at load 15-40 a live trim can take over 0.5 s (add's default budget)
while a replacement container starts, which measures the machine, not the drain.

Cost: engine 1 reuses the container test's stopped engine (its data root holds the images that test built for this
same checkout; .ci/run runs that test first), so pushes, pulls, the deploy and the drain remain: 80-105 s at load 4-8
on this 2-core machine. With engine 1's own cached images and an empty registry 159 s; with nothing built about 5
minutes. Needs root, dockerd, slirp4netns, mmdebstrap and docker-registry (scripts/install-docker.sh; .ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from containers.engine import Engine

from deploy.swarm import nodes
from deploy.swarm.cluster import PORTS, REGISTRY, ROOT, STACK_NAME, Swarm
from deploy.swarm.drain import drain_under_load
from deploy.swarm.nodes import EDGE, ENGINES, LOAD
from deploy.swarm.stack import SUBNET

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

RUN_DIR = ROOT / ".run" / "swarm-test"
TOOLS = ("dockerd", "slirp4netns", "nsenter", "mmdebstrap", "docker-registry")


def _container_test_root() -> Path | None:
    """The container test's engine folder, when it exists and that engine is stopped (its images are reused)."""
    name = Engine.private_name()
    folder = ROOT / ".tools" / "dockerd" / name
    script = ROOT / "scripts" / "dockerd-netns.sh"
    if not (folder / "data").is_dir():
        return None
    running = subprocess.run(["bash", str(script), "status", name, str(folder)], capture_output=True, timeout=30,
                             check=False)  # fmt: skip
    return None if running.returncode == 0 else folder


@pytest.fixture(scope="module")
def swarm() -> Iterator[Swarm]:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if os.geteuid() != 0 or missing:
        pytest.skip(f"needs root and {', '.join(missing) or 'root'}: as root, `bash scripts/install-docker.sh`")
    env = {**os.environ, "ADD_TRIM_TIMEOUT": "6", "ADD_REQUEST_TIMEOUT": "10"}
    bed = Swarm(env=env, run_dir=RUN_DIR, edge_root=_container_test_root())
    began = time.monotonic()
    try:
        times = bed.up(trims=3, timeout=300)
        (RUN_DIR / "up-times.json").write_text(json.dumps(times, indent=1))
        yield bed
    finally:
        bed.down()
        print(f"[swarm] whole test {time.monotonic() - began:.0f} s", file=sys.stderr)
    assert nodes.namespaces() == [], "namespaces left behind"
    assert all(bed.dockerd("status", n).returncode != 0 for n in ENGINES), "an engine still answers"


def _get(port: str, path: str) -> Any:
    """The JSON of GET http://engine1:PORT/PATH, asked from the callers' host (None unless 200)."""
    url = f"http://{EDGE.address}:{PORTS[port]}{path}"
    python = str(ROOT / ".venv" / "bin" / "python")
    out = nodes.run(nodes.nsenter(LOAD, [python, "-m", "deploy.hosts.inside", "get", url]), timeout=60)
    return json.loads(out)


def _kit_targets() -> list[tuple[str, str]]:
    found = _get("STACK_PROMETHEUS_PORT", "/api/v1/targets?state=active")
    targets = found["data"]["activeTargets"] if isinstance(found, dict) else []
    return sorted((t["labels"].get("service", ""), t["health"]) for t in targets if t["labels"].get("job") == "kit")


def test_the_stack_runs_on_three_engines_from_the_registry(swarm: Swarm) -> None:
    ids = swarm.node_ids()
    assert sorted(ids) == [n.name for n in ENGINES]
    listed = [json.loads(line) for line in swarm.docker(EDGE, "node", "ls", "--format", "{{json .}}").splitlines()]
    assert {n["Status"] for n in listed} == {"Ready"}, listed
    tasks = swarm.tasks(ids=ids)
    assert len(tasks) == 3 and all(t["state"].startswith("Running") for t in tasks), tasks
    assert {t["node"] for t in tasks} == {n.name for n in ENGINES}, f"trims not spread over the engines: {tasks}"
    for node in ENGINES:  # each engine pulled trim through the registry
        digests = swarm.docker(node, "image", "ls", "--digests", "--format", "{{.Repository}} {{.Digest}}")
        assert any(
            line.startswith(f"{REGISTRY}/gokit/trimsvc ") and "sha256:" in line for line in digests.splitlines()
        ), digests
    trims = _get("STACK_CONSUL_PORT", "/v1/health/service/trim?passing=1")
    assert isinstance(trims, list) and len(trims) == 3
    prefix = SUBNET.rsplit(".", 1)[0] + "."
    assert all(e["Service"]["Address"].startswith(prefix) for e in trims), "a trim registered a non-overlay address"
    # Prometheus (engine 1) finds add and the trims through Consul and scrapes them over the overlay
    wanted = [("add", "up"), ("trim", "up"), ("trim", "up"), ("trim", "up")]
    deadline = time.monotonic() + 90
    while _kit_targets() != wanted and time.monotonic() < deadline:
        time.sleep(2)
    assert _kit_targets() == wanted
    services = swarm.docker(EDGE, "stack", "services", STACK_NAME, "--format", "{{.Name}} {{.Mode}} {{.Replicas}}")
    assert f"{STACK_NAME}_trim replicated 3/3" in services.splitlines(), services


def test_a_drained_engine_costs_no_request(swarm: Swarm) -> None:
    result = drain_under_load(swarm, rate=10.0)
    print(f"[swarm] drain: {json.dumps(result)}", file=sys.stderr)
    assert result["requests"] >= 100, result
    assert result["failed"] == 0, result
    assert result["drained"] != EDGE.name
    assert len(result["trims_after"]) == 3 and result["trims_after"] != result["trims_before"], result
    assert result["new_passing_in_consul_s"] is not None, result
    assert result["add_set_whole_s"] is not None, "add's set never held the replacement"
    tasks = swarm.tasks()  # swarm does not move tasks back when the engine is active again
    assert len(tasks) == 3 and not any(t["node"] == result["drained"] for t in tasks), tasks
    listed = swarm.docker(EDGE, "node", "ls", "--format", "{{.Availability}}").split()
    assert listed == ["Active"] * 3, "the drained engine was not made active again"
