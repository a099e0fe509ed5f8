"""Telling whether a recorded PID is still the process `up` started, and stopping only those, on a fake /proc,
a fake clock and a recorder of signals."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from deploy.local.kitstack.procs import identity, is_ours, parse_stat, stop, tail
from deploy.local.kitstack.state import Proc

ARGV = ("/repo/.venv/bin/python", "-m", "addsvc")


def _stat(pid: int, name: str, state: str, start_time: int) -> str:
    # fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    # cutime cstime priority nice threads itrealvalue starttime ...
    rest = [state, *["0"] * 18, str(start_time), "0", "0"]
    return f"{pid} ({name}) {' '.join(rest)}\n"


def _fake_proc(root: Path, pid: int, *, argv: tuple[str, ...], start_time: int, state: str = "S") -> None:
    folder = root / str(pid)
    folder.mkdir(parents=True)
    (folder / "stat").write_text(_stat(pid, "python", state, start_time))
    (folder / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (_stat(7, "consul", "S", 123), ("S", 123)),
        (_stat(7, "we ird) (name", "R", 55), ("R", 55)),
        (_stat(7, "python", "Z", 9), ("Z", 9)),
    ],
)
def test_parse_stat_counts_fields_after_the_last_parenthesis(text: str, want: tuple[str, int]) -> None:
    assert parse_stat(text) == want


def test_identity_reads_argv_and_start_time(tmp_path: Path) -> None:
    _fake_proc(tmp_path, 100, argv=ARGV, start_time=777)
    found = identity(100, proc=tmp_path)
    assert found is not None
    assert (found.argv, found.start_time) == (ARGV, 777)
    assert identity(101, proc=tmp_path) is None


@pytest.mark.parametrize(
    ("argv", "start_time", "state", "ours"),
    [
        (ARGV, 777, "S", True),
        (ARGV, 778, "S", False),  # the PID was reused by a process started later
        (("/usr/bin/sleep", "100"), 777, "S", False),  # another program
        (ARGV, 777, "Z", False),  # exited, not yet reaped
    ],
)
def test_is_ours_needs_same_argv_start_time_and_life(
    tmp_path: Path, argv: tuple[str, ...], start_time: int, state: str, ours: bool
) -> None:
    _fake_proc(tmp_path, 100, argv=argv, start_time=start_time, state=state)
    record = Proc("add", 100, ARGV, 777, "add.log")
    assert is_ours(record, proc=tmp_path) is ours


def test_is_ours_on_this_very_process() -> None:
    me = identity(os.getpid())
    assert me is not None
    assert is_ours(Proc("me", os.getpid(), me.argv, me.start_time, ""))
    assert not is_ours(Proc("me", os.getpid(), me.argv, me.start_time + 1, ""))


class FakeWorld:
    """Processes that die on the signals they heed, a clock that moves only when slept."""

    def __init__(self, *, deaf_to_term: set[int]) -> None:
        self.alive = {1, 2, 3}
        self.deaf = deaf_to_term
        self.sent: list[tuple[int, int]] = []
        self.now = 0.0

    def is_alive(self, proc: Proc) -> bool:
        return proc.pid in self.alive

    def send(self, pid: int, signum: int) -> None:
        self.sent.append((pid, signum))
        if signum == signal.SIGKILL or pid not in self.deaf:
            self.alive.discard(pid)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _records() -> list[Proc]:
    return [Proc(f"p{i}", i, ("x",), 1, "") for i in (1, 2, 3)]


def test_stop_terms_every_live_record_and_kills_the_deaf_after_the_timeout() -> None:
    world = FakeWorld(deaf_to_term={2})
    world.alive.discard(3)
    results = stop(_records(), timeout=4.0, is_alive=world.is_alive, send=world.send, clock=world.clock,
                   sleep=world.sleep)  # fmt: skip
    assert [r.outcome for r in results] == ["stopped", "killed", "gone"]
    assert world.sent == [(1, signal.SIGTERM), (2, signal.SIGTERM), (2, signal.SIGKILL)]
    assert 4.0 <= world.now < 4.2
    assert not world.alive


def test_stop_returns_as_soon_as_all_exited() -> None:
    world = FakeWorld(deaf_to_term=set())
    results = stop(_records(), timeout=30.0, is_alive=world.is_alive, send=world.send, clock=world.clock,
                   sleep=world.sleep)  # fmt: skip
    assert [r.outcome for r in results] == ["stopped"] * 3
    assert world.now < 0.1


def test_stop_never_signals_a_record_that_is_not_ours() -> None:
    world = FakeWorld(deaf_to_term=set())
    world.alive.clear()
    results = stop(_records(), timeout=1.0, is_alive=world.is_alive, send=world.send, clock=world.clock,
                   sleep=world.sleep)  # fmt: skip
    assert world.sent == []
    assert [r.outcome for r in results] == ["gone"] * 3


def test_tail_gives_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "add.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 3) == "line 97\nline 98\nline 99"
    assert tail(tmp_path / "missing.log", 3) == ""
