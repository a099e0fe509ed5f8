"""Reading a fault run's figures from made-up runs."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.hosts.figures import (
    Run,
    answered_again,
    figures,
    first_seen,
    percentile_ms,
    set_size,
    stopped_answering,
    table,
)
from deploy.hosts.load import trim_view

EP = "10.0.0.1:8975"


def obs(t: float, ok: float | None, *, trims: list[str] | None = None) -> dict[str, Any]:
    counts = None if ok is None else ({} if ok < 0 else {EP: ok})
    return {"t": t, "calls": counts, "ok": counts, "circuit": {}, "trims": trims, "adds": 1, "leader": None}


def test_failures_and_latencies_are_split_by_the_fault_window() -> None:
    requests = [(0.0, 0.010, 200), (1.0, 0.020, 503), (2.0, 0.300, 200), (3.0, 0.5, 0), (4.0, 0.030, 200)]
    run = Run(requests, [], {"fault": 1.0, "restore": 3.0})
    f = figures("x", run, {"seen": 1.5})
    assert (f.requests, f.failed, f.failed_during, f.failed_after) == (5, 2, 1, 1)
    assert f.resumed_s == pytest.approx(0.0)  # the one failure after the fault started as it was undone
    assert f.fault_p50_ms == pytest.approx(300) and f.times == {"seen": 1.5}
    assert f.as_row()["seen_s"] == 1.5


@pytest.mark.parametrize(
    ("samples", "q", "want"),
    [([], 50, None), ([0.2], 99, 200.0), ([0.001 * i for i in range(1, 101)], 50, 50.5)],
)
def test_percentiles(samples: list[float], q: int, want: float | None) -> None:
    got = percentile_ms(samples, q)
    assert got == (None if want is None else pytest.approx(want))


def test_an_instance_that_leaves_and_comes_back_is_seen_answering_again_from_zero() -> None:
    # answering, cut at 10 (counter stalls), dropped from add's set at 12 (no series), back at 20 from zero
    points = [obs(8, 10), obs(9, 12), obs(10, 14), obs(11, 14), obs(12, -1), obs(19, -1), obs(20, 0), obs(21, 3)]
    run = Run([], points, {})
    assert stopped_answering(run, EP, 9.5, 19) == pytest.approx(0.5)
    assert answered_again(run, EP, 19) == pytest.approx(2)
    assert set_size({"set": 2.0}) == 2 and set_size({"set": None}) is None


def test_an_instance_that_keeps_answering_never_stopped() -> None:
    run = Run([], [obs(t, t) for t in range(10)], {})
    assert stopped_answering(run, EP, 2, 9) is None
    assert answered_again(run, EP, 100) is None


def test_first_seen_counts_from_the_start_and_ignores_what_came_before() -> None:
    run = Run([], [obs(1, 0, trims=["a"]), obs(2, 0, trims=["a", "b"]), obs(3, 0, trims=["a"])], {})
    assert first_seen(run, 1.5, lambda o: len(o["trims"]) == 1) == pytest.approx(1.5)
    assert first_seen(run, 3.5, lambda o: True) is None


def test_table_has_a_row_per_fault() -> None:
    run = Run([(0.0, 0.01, 200)], [], {"fault": 0.0, "restore": 1.0})
    text = table([figures("cut", run, {"a": None}), figures("slow", run, {"b": 2.0})])
    assert "| cut | 1 | 0 (0 / 0) |" in text and "| 0.0 |" in text and "b 2.0" in text and "a -" in text


def test_trim_view_reads_adds_counters_and_circuits() -> None:
    text = (
        'kit_client_requests_total{endpoint="a:1",outcome="ok",service="add",target="trim"} 5.0\n'
        'kit_client_requests_total{endpoint="a:1",outcome="unavailable",service="add",target="trim"} 2.0\n'
        'kit_client_requests_total{endpoint="b:1",outcome="ok",service="x",target="other"} 9.0\n'
        'kit_circuit_state{endpoint="a:1",service="add",target="trim"} 2.0\n'
        'kit_retries_total{service="add",target="trim"} 4.0\n'
        'kit_sd_instances{service="add",target="trim"} 2.0\n'
    )
    assert trim_view(text) == {"calls": {"a:1": 7.0}, "ok": {"a:1": 5.0}, "circuit": {"a:1": 2.0}, "set": {"trim": 2.0}}
