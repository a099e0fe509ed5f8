"""The run folder's state file and lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.kitstack.ports import Ports
from deploy.local.kitstack.state import Proc, RunDir, State, StateError


def _state() -> State:
    proc = Proc("add", 4242, ("/venv/bin/python", "-m", "addsvc"), 987654, "/run/logs/add.log", {"http": 8080}, "u")
    return State(1700000000.5, 3, Ports(add_http=18080), (proc,))


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    assert run.load() is None
    run.save(_state())
    assert run.load() == _state()
    assert not list(run.path.glob("*.tmp"))


def test_with_proc_appends_in_start_order() -> None:
    first = _state()
    second = Proc("trim-1", 1, ("t",), 2, "l")
    assert [p.name for p in first.with_proc(second).procs] == ["add", "trim-1"]
    assert [p.name for p in first.procs] == ["add"]


def test_clear_removes_only_the_state(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.save(_state())
    (tmp_path / "logs").mkdir()
    run.clear()
    run.clear()
    assert run.load() is None
    assert (tmp_path / "logs").is_dir()


@pytest.mark.parametrize("text", ["{not json", '{"trims": 2}', '{"started_at": 1, "trims": 2, "ports": {"x": 1}}'])
def test_a_broken_state_file_is_an_error_never_ignored(tmp_path: Path, text: str) -> None:
    run = RunDir(tmp_path)
    run.state_path.write_text(text)
    with pytest.raises(StateError, match="cannot read"):
        run.load()
    assert run.state_path.exists()


def test_lock_keeps_a_second_launcher_out(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    with run.lock(), pytest.raises(StateError, match="another launcher"), RunDir(tmp_path).lock():
        pass
    with run.lock():
        pass
