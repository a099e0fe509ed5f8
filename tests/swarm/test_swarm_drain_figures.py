"""The drain's figures from a made-up run of deploy.hosts.load (pure)."""

from __future__ import annotations

from deploy.swarm.drain import figures

T0 = 1000.0


def _obs(t: float, trims: list[str] | None, size: int | None) -> dict[str, object]:
    return {"t": T0 + t, "trims": trims, "set": size, "calls": None, "ok": None, "circuit": None}


def test_figures_of_a_drain() -> None:
    before, after = ["a:1", "b:1", "c:1"], ["a:1", "b:1", "d:1"]
    document = {
        "requests": [[T0 + i / 10, 0.01 * (1 + i % 10), 200] for i in range(200)] + [[T0 + 12.0, 0.6, 504]],
        "observations": [
            _obs(1, before, 3), _obs(11, before, 3), _obs(13, ["a:1", "b:1"], 3), _obs(14, ["a:1", "b:1"], 2),
            _obs(18, None, None), _obs(20, after, 2), _obs(21, after, 3),
        ],
    }  # fmt: skip
    got = figures(document, {"drain": T0 + 10, "moved": T0 + 19.5}, before, after)
    assert got["requests"] == 201
    assert got["failed"] == 1 and got["failed_statuses"] == [504] and got["failed_at_s"] == [2.0]
    assert got["task_moved_s"] == 9.5
    assert got["old_out_of_consul_s"] == 3.0
    assert got["new_passing_in_consul_s"] == 10.0
    assert got["add_set_whole_s"] == 11.0
    assert got["max_ms"] == 100.0  # the failed request's 0.6 s is not a latency of an answer
    assert got["p50_ms"] is not None and 40 <= got["p50_ms"] <= 60


def test_figures_when_the_replacement_never_shows() -> None:
    before, after = ["a:1", "b:1"], ["a:1", "c:1"]
    document = {"requests": [[T0 + 1, 0.1, 200]], "observations": [_obs(11, before, 2), _obs(12, ["a:1"], 1)]}
    got = figures(document, {"drain": T0 + 10, "moved": T0 + 15}, before, after)
    assert got["old_out_of_consul_s"] == 2.0
    assert got["new_passing_in_consul_s"] is None and got["add_set_whole_s"] is None
