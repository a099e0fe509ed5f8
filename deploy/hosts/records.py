"""The processes the bed started and has not stopped, kept in `run_dir/state.json` between commands (so `down`
stops exactly them, by PID, start time and argv), and the lock that keeps two commands from acting at once."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from deploy.local.kitstack import procs
from deploy.local.kitstack.state import Proc


class Records:
    """What the bed has started, in its `run_dir`."""

    run_dir: Path

    def _state_file(self) -> Path:
        return self.run_dir / "state.json"

    def records(self) -> list[Proc]:
        """The processes started and not stopped since, in start order."""
        try:
            data = json.loads(self._state_file().read_text())
        except FileNotFoundError:
            return []
        return [Proc.from_json(p) for p in data["procs"]]

    def _save(self, records: Sequence[Proc]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"procs": [dataclasses.asdict(r) for r in records]}, indent=1)
        tmp = self._state_file().with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self._state_file())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Keeps two commands from acting on the bed at once."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def running(self, name: str) -> bool:
        """Whether the process called `name` was started here and is still that very process."""
        return any(r.name == name and procs.is_ours(r) for r in self.records())


__all__ = ["Records"]
