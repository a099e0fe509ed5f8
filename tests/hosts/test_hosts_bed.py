"""The multi-host bed for real: eight network namespaces, a three-server Consul cluster, add, two trims and
Prometheus, and each fault of deploy.hosts.faults made under load (about 3 minutes in all; root needed).

Outcomes are asserted; latencies are only reported (`make hosts-faults` prints them), because this machine is
shared and busy. What may fail: while a trim is cut off or slow, requests that needed it may get 503 or 504,
never a 500, a wrong answer or a hang; once the fault is undone, service resumes. A lost Consul leader or a
stopped local agent must not stop add: it keeps calling the trims it last knew.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from deploy.hosts import Bed
from deploy.hosts.bed import ROOT
from deploy.hosts.faults import Result, agent_stop, leader_cut, trim_cut, trim_netem
from deploy.hosts.figures import Figures, Run, percentile_ms, set_size, table
from deploy.hosts.topology import ADD_HTTP, PROMETHEUS_HTTP, by_name, with_role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

FINAL = 3.0  # the last seconds of a run, where service must be back
SATURATED = 8  # load average per core past which plain load is not expected to be served
SLOW_MS = 1000.0  # a plain /concat slower than this at the median: add is starved, not faulty
CLEAN_FAILURES = {0, 503, 504}  # no answer within the client's 5 s, trim unavailable, deadline passed


FIGURES: list[Figures] = []


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    """The bed, its logs, runs and figures kept in .run/hosts-test/ (git-ignored) for a look after the tests."""
    if os.geteuid() != 0:
        pytest.fail("the multi-host bed needs root (network namespaces, nsenter); CI runs as root")
    bed = Bed(run_dir=ROOT / ".run" / "hosts-test")
    bed.up(timeout=120)
    try:
        yield bed
    finally:
        bed.down()
        (bed.run_dir / "figures.md").write_text(table(FIGURES) + "\n")


def reported(result: Result) -> Result:
    FIGURES.append(result.figures)
    return result


def ok_share(run: Run, start: float, end: float) -> float:
    started = [r for r in run.requests if start <= r[0] < end]
    assert started, "no request was sent in the window"
    return sum(r[2] == 200 for r in started) / len(started)


def judgeable(run: Run) -> None:
    """Skips, saying why, when the machine is so overloaded that add did not even serve the plain load before the
    fault (seen at load averages of 70 on 2 cores): then no outcome of the fault can be judged. Fails when the
    machine was not that busy, since add not serving plain load is then a defect."""
    before = [r for r in run.requests if r[0] < run.marks["fault"]]
    baseline = sum(r[2] == 200 for r in before) / len(before) if before else 0.0
    p50 = percentile_ms(sorted(r[1] for r in before), 50) or 0.0
    load1 = os.getloadavg()[0]
    if baseline < 0.5 or p50 > SLOW_MS:
        busy = load1 > SATURATED * (os.cpu_count() or 1)
        message = (
            f"before the fault {baseline:.0%} of requests were answered, p50 {p50:.0f} ms, load average {load1:.0f}"
        )
        if busy:
            pytest.skip(f"machine saturated, fault not judged: {message}")
        pytest.fail(message)


def assert_clean_and_resumed(run: Run) -> None:
    statuses = {r[2] for r in run.requests if r[2] != 200}
    assert statuses <= CLEAN_FAILURES, f"failures other than 503/504/timeout: {statuses}"
    # once the fault is undone and the bed has recovered, service resumes: the run's last seconds mostly answer
    end = run.requests[-1][0]
    assert run.marks["recovered"] < end - FINAL
    assert ok_share(run, end - FINAL, float("inf")) >= 0.5


def kept_set(run: Run, start: float, end: float) -> bool:
    """Whether no observation of add's metrics in [start, end] shows fewer than both trims in add's set. On a
    machine this busy the watch may read none in a short window; the requests that succeeded meanwhile (asserted
    beside) are then the evidence."""
    sizes = [set_size(o) for o in run.observations if start <= o["t"] <= end]
    return all(size == 2 for size in sizes if size is not None)


def test_the_bed_runs_a_cluster_and_prometheus_discovers_through_it(bed: Bed) -> None:
    add = f"http://{bed.add.address}:{ADD_HTTP}"
    assert bed.get(f"{add}/health") == {"status": "serving"}
    assert len(bed.get(f"http://{by_name('srv1').consul}/v1/status/peers")) == 3
    for host in (bed.add, *with_role("trim")):  # each service registered with its own host's agent
        services = bed.get(f"http://{host.consul}/v1/agent/services")
        assert {s["Address"] for s in services.values()} == {host.address}
    prometheus = f"http://{by_name('prom').address}:{PROMETHEUS_HTTP}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        targets = bed.get(f"{prometheus}/api/v1/targets") or {"data": {"activeTargets": []}}
        up = {t["labels"].get("service") for t in targets["data"]["activeTargets"] if t["health"] == "up"}
        if {"add", "trim"} <= up:
            break
        time.sleep(1)
    assert {"add", "trim"} <= up, f"Prometheus scrapes only {up}"


def test_a_trim_host_cut_off_leaves_the_rotation_and_comes_back(bed: Bed) -> None:
    result = reported(trim_cut(bed))
    run, times = result.run, result.figures.times
    judgeable(run)
    on, off = run.marks["fault"], run.marks["restore"]
    down = times["consul_marks_it_down"]
    assert down is not None, "Consul never marked the cut-off trim down"
    # seen leaving add's set, unless the watch read none of add's metrics after Consul's change (a starved add)
    unobserved = not any(set_size(o) is not None for o in run.observations if on + down <= o["t"] <= off)
    assert times["out_of_add_set"] is not None or unobserved, "add kept the cut-off trim in its set"
    assert times["answers_again"] is not None, "the restored trim never answered add again"
    assert_clean_and_resumed(run)


def test_a_slow_lossy_trim_link_is_survived(bed: Bed) -> None:
    result = reported(trim_netem(bed))
    run = result.run
    judgeable(run)
    assert ok_share(run, run.marks["fault"], run.marks["restore"]) >= 0.5
    assert result.figures.times["answers_again"] is not None
    assert_clean_and_resumed(run)


def test_losing_the_consul_leader_keeps_add_serving_and_registrations_resume(bed: Bed) -> None:
    result = reported(leader_cut(bed))
    run, times = result.run, result.figures.times
    judgeable(run)
    on, elected = run.marks["fault"], run.marks["new_leader"]
    assert times["new_leader"] is not None
    # no leader: add's agent cannot answer, add keeps its last known set and keeps serving
    assert kept_set(run, on, elected)
    assert ok_share(run, on, elected) >= 0.5
    # Registrations resume: a trim registered under the new leader reaches add's agent. When add first calls it is
    # reported (new_trim_answers), not asserted: a fresh clone's quiet CI run once ended the run before it did.
    assert times["new_trim_at_agent"] is not None, "a trim registered under the new leader never reached add's agent"
    assert_clean_and_resumed(run)


def test_adds_local_agent_stopped_and_restarted(bed: Bed) -> None:
    result = reported(agent_stop(bed))
    run = result.run
    judgeable(run)
    on, off = run.marks["fault"], run.marks["restore"]
    assert kept_set(run, on, off)
    assert ok_share(run, on, off) >= 0.5
    # agent_stop returns only once add's agent lists add passing again (BedError after 60 s): registration resumed.
    # The watch's own figure of it may be missing on a saturated machine, so it is reported, not asserted.
    assert run.marks["recovered"] > run.marks["restore"]
    assert_clean_and_resumed(run)
