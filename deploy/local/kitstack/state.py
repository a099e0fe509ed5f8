"""What `up` started, written to the run folder so that `down`, `ps` and `logs` find exactly those processes.

The run folder (default `.run/` at the repository root, git-ignored; STACK_RUN_DIR moves it) holds `state.json`,
a lock file that keeps two launchers from acting at once, `logs/` and Prometheus' data.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .ports import Ports

STATE_FILE = "state.json"
LOCK_FILE = "lock"


@dataclass(frozen=True, slots=True)
class Proc:
    """One process `up` started: its identity (pid, argv and the kernel's start time) and where it answers."""

    name: str
    pid: int
    argv: tuple[str, ...]
    start_time: int
    log: str
    ports: Mapping[str, int] = field(default_factory=dict)
    health: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proc:
        return cls(
            name=str(data["name"]),
            pid=int(data["pid"]),
            argv=tuple(str(a) for a in data["argv"]),
            start_time=int(data["start_time"]),
            log=str(data["log"]),
            ports={str(k): int(v) for k, v in dict(data.get("ports", {})).items()},
            health=str(data.get("health", "")),
        )


@dataclass(frozen=True, slots=True)
class State:
    """The stack `up` started: when, with how many trims, on which ports, and its processes in start order."""

    started_at: float
    trims: int
    ports: Ports
    procs: tuple[Proc, ...] = ()

    def with_proc(self, proc: Proc) -> State:
        return State(self.started_at, self.trims, self.ports, (*self.procs, proc))

    def replacing(self, proc: Proc) -> State:
        """This state with `proc` in place of the record of the same name (at its place), else appended."""
        if all(p.name != proc.name for p in self.procs):
            return self.with_proc(proc)
        return State(
            self.started_at, self.trims, self.ports, tuple(proc if p.name == proc.name else p for p in self.procs)
        )

    def without(self, names: Iterable[str]) -> State:
        """This state without the records of `names`."""
        gone = set(names)
        return State(self.started_at, self.trims, self.ports, tuple(p for p in self.procs if p.name not in gone))

    def to_json(self) -> str:
        data = {
            "started_at": self.started_at,
            "trims": self.trims,
            "ports": asdict(self.ports),
            "procs": [{**asdict(p), "argv": list(p.argv), "ports": dict(p.ports)} for p in self.procs],
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> State:
        data = json.loads(text)
        return cls(
            started_at=float(data["started_at"]),
            trims=int(data["trims"]),
            ports=Ports(**{str(k): int(v) for k, v in data["ports"].items()}),
            procs=tuple(Proc.from_json(p) for p in data["procs"]),
        )


class StateError(RuntimeError):
    """The state file exists but cannot be read: a person must look (it is never deleted silently)."""


@dataclass(frozen=True, slots=True)
class RunDir:
    """The run folder: state file, lock, logs. Every write of the state is atomic (temp file, then rename)."""

    path: Path

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def load(self) -> State | None:
        """The recorded state, or None when nothing is recorded."""
        try:
            text = self.state_path.read_text()
        except FileNotFoundError:
            return None
        try:
            return State.from_json(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(f"cannot read {self.state_path}: {exc}; look at it, then remove it by hand") from None

    def save(self, state: State) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(state.to_json())
        os.replace(tmp, self.state_path)

    def clear(self) -> None:
        self.state_path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Holds an exclusive lock for one launcher command; a second one fails at once instead of racing."""
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / LOCK_FILE).open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StateError(f"another launcher is working on {self.path} right now") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["Proc", "RunDir", "State", "StateError"]
