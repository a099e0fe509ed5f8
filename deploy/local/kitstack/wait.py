"""Waiting, bounded in time and with progress, until every readiness check of the stack passes."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True, slots=True)
class Check:
    """One thing that must be true before the stack is up; `part` names the process whose log explains a failure."""

    name: str
    ready: Callable[[], bool]
    part: str


class WaitFailed(RuntimeError):
    """A part exited, or the checks did not all pass in time; `part` is the one whose log to show."""

    def __init__(self, message: str, *, part: str | None) -> None:
        super().__init__(message)
        self.part = part


Progress = Callable[[float, Sequence[str], Sequence[str]], None]
"""Called with (seconds waited, names of passed checks, names of pending checks) while waiting."""


def wait_until(
    checks: Sequence[Check],
    *,
    timeout: float,
    exited: Callable[[], str | None] = lambda: None,
    progress: Progress = lambda elapsed, done, pending: None,
    interval: float = 0.2,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Polls the checks until all pass (a passed check is not asked again) and returns the seconds it took.
    `exited` names a part whose process is gone, which fails at once; WaitFailed after `timeout` seconds."""
    start = clock()
    done: list[str] = []
    pending = list(checks)
    while True:
        gone = exited()
        if gone is not None:
            raise WaitFailed(f"{gone} exited while the stack was starting", part=gone)
        pending = [c for c in pending if not _passes(c, done)]
        elapsed = clock() - start
        progress(elapsed, tuple(done), tuple(c.name for c in pending))
        if not pending:
            return elapsed
        if elapsed >= timeout:
            names = ", ".join(c.name for c in pending)
            raise WaitFailed(f"not ready after {timeout:.0f}s: {names}", part=pending[0].part)
        sleep(interval)


def _passes(check: Check, done: list[str]) -> bool:
    if check.ready():
        done.append(check.name)
        return True
    return False


class ProgressLine:
    """Shows progress: one line rewritten in place on a terminal, else a line each time a check passes."""

    def __init__(self, out: TextIO | None = None) -> None:
        out = sys.stdout if out is None else out
        self._out = out
        self._tty = out.isatty()
        self._shown = -1

    def __call__(self, elapsed: float, done: Sequence[str], pending: Sequence[str]) -> None:
        line = f"[{elapsed:4.1f}s] ready {len(done)}/{len(done) + len(pending)}"
        if pending:
            line += f"; waiting for {', '.join(pending)}"
        if self._tty:
            # one screen line, or the carriage return cannot go back over it
            width = shutil.get_terminal_size().columns - 1
            self._out.write("\r\033[K" + line[:width] + ("\n" if not pending else ""))
        elif len(done) != self._shown:
            self._out.write(line + "\n")
        self._shown = len(done)
        self._out.flush()

    def end(self) -> None:
        """Ends a line left open on a terminal (after a failure)."""
        if self._tty:
            self._out.write("\n")
            self._out.flush()


__all__ = ["Check", "Progress", "ProgressLine", "WaitFailed", "wait_until"]
