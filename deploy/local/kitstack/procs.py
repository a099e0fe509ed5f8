"""Starting the stack's processes detached, telling whether a recorded PID is still the process we started, and
stopping exactly those.

A PID alone is not an identity: once a process exits, the kernel may give its number to another. A recorded
process is ours only while /proc/<pid>/stat shows the same start time (clock ticks since boot, fixed for a
process's life) and /proc/<pid>/cmdline the same argv. Zombies count as gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .state import Proc

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Identity:
    """What the kernel says about a live process: its argv and start time."""

    argv: tuple[str, ...]
    start_time: int


def parse_stat(text: str) -> tuple[str, int]:
    """(state letter, start time) from the text of /proc/<pid>/stat. The command name, in parentheses, may hold
    spaces and parentheses itself, so fields are counted after its last ')'."""
    rest = text[text.rindex(")") + 2 :].split()
    # after the name: state is field 3 of the man page, starttime field 22
    return rest[0], int(rest[19])


def identity(pid: int, *, proc: Path = PROC) -> Identity | None:
    """The identity of process `pid`, or None when there is no such live process (gone, or a zombie)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        cmdline = (proc / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    state, start_time = parse_stat(stat)
    if state in ("Z", "X"):
        return None
    argv = tuple(part.decode(errors="replace") for part in cmdline.split(b"\0")[:-1])
    return Identity(argv, start_time)


def is_ours(record: Proc, *, proc: Path = PROC) -> bool:
    """Whether the recorded process is alive and is still the very process `up` started."""
    found = identity(record.pid, proc=proc)
    return found is not None and found.start_time == record.start_time and found.argv == record.argv


@dataclass(frozen=True, slots=True)
class Rotation:
    """Rotate a part's log at `max_bytes`, keeping `backups` older files (FILE.1 ... FILE.N)."""

    max_bytes: int
    backups: int = 3


LOGWRITER = Path(__file__).with_name("logwriter.py")


def spawn_logged(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path,
    cwd: Path,
    ports: Mapping[str, int],
    health: str,
    detach: bool = True,
    rotation: Rotation | None = None,
) -> tuple[Proc, subprocess.Popen[bytes], subprocess.Popen[bytes] | None]:
    """Starts `argv`, output appended to `log`; returns its record, its Popen (which `up` polls while it waits) and
    the log writer's Popen when there is one. `detach` starts it in a session of its own, so a Ctrl-C in the
    terminal does not reach it and it outlives the launcher (the stack's parts); a test's or a bench run's
    processes stay in the caller's session. With `rotation`, the output goes through logwriter.py, which rotates
    the log at a size and ends when the part closes its output."""
    log.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    if rotation is not None:
        writer = subprocess.Popen(
            [sys.executable, str(LOGWRITER), str(log), str(rotation.max_bytes), str(rotation.backups)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=detach,
        )
    with contextlib.ExitStack() as closing:
        if writer is not None:
            assert writer.stdin is not None
            out: IO[bytes] = closing.enter_context(writer.stdin)  # the part holds the pipe; the launcher lets go
        else:
            out = closing.enter_context(log.open("ab"))
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
    # Popen returns after the exec succeeded, so /proc already shows the new argv
    found = identity(popen.pid)
    start_time = found.start_time if found is not None else -1
    return Proc(name, popen.pid, tuple(argv), start_time, str(log), dict(ports), health), popen, writer


@dataclass(frozen=True, slots=True)
class Stopped:
    """What `stop` did to one recorded process."""

    name: str
    pid: int
    outcome: str  # "stopped", "killed" (did not exit on SIGTERM in time), "gone" (no longer ours: not touched)


def stop(
    records: Sequence[Proc],
    *,
    timeout: float,
    is_alive: Callable[[Proc], bool] = is_ours,
    send: Callable[[int, int], None] = os.kill,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Stopped]:
    """SIGTERM to every record that is still ours, then SIGKILL to those still alive after `timeout` seconds.
    A record that is no longer ours (exited, or its PID now names another process) is never signalled."""
    results: dict[int, Stopped] = {}
    live: list[Proc] = []
    for record in records:
        if is_alive(record):
            _signal(send, record.pid, signal.SIGTERM)
            live.append(record)
        else:
            results[record.pid] = Stopped(record.name, record.pid, "gone")
    deadline = clock() + timeout
    while live and clock() < deadline:
        sleep(0.05)
        live = [r for r in live if is_alive(r)]
    for record in live:
        if is_alive(record):
            _signal(send, record.pid, signal.SIGKILL)
            results[record.pid] = Stopped(record.name, record.pid, "killed")
    kill_deadline = clock() + 5.0
    while any(is_alive(r) for r in live) and clock() < kill_deadline:
        sleep(0.05)
    for record in records:
        results.setdefault(record.pid, Stopped(record.name, record.pid, "stopped"))
    return [results[r.pid] for r in records]


def _signal(send: Callable[[int, int], None], pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        send(pid, signum)


def tail(path: Path, lines: int) -> str:
    """The last `lines` lines of a log file ('' when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            data = handle.read()
    except FileNotFoundError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


def listeners(port: int, *, proc: Path = PROC) -> list[int]:
    """The PIDs (of this user's processes) listening on TCP `port`: the socket's inode from /proc/net/tcp{,6},
    then the process holding it among /proc/<pid>/fd. Hand-written: psutil would do it, but the launcher runs on
    the standard library alone."""
    sockets: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                sockets.add(f"socket:[{fields[9]}]")
    found: list[int] = []
    for entry in proc.iterdir() if sockets else ():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in sockets for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
    return found


def describe(pid: int) -> str:
    """`pid 123 (python -m trimsvc)`, for messages about a process the launcher did not start."""
    found = identity(pid)
    return f"pid {pid}" + (f" ({' '.join(found.argv)[:80]})" if found is not None else "")


def holder(port: int) -> str:
    """Who listens on TCP `port`, for a person: `pid 123 (python -m trimsvc)`, or another user's process."""
    pids = listeners(port)
    return ", ".join(describe(pid) for pid in pids) if pids else "a process of another user"


__all__ = [
    "LOGWRITER",
    "Identity",
    "Rotation",
    "Stopped",
    "describe",
    "holder",
    "identity",
    "is_ours",
    "listeners",
    "parse_stat",
    "spawn_logged",
    "stop",
    "tail",
]
