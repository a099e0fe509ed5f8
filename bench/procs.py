"""The processes a benchmark run starts, with the stack's launcher (kitstack's `Process`): each one started once,
watched through /proc, and stopped by its PID."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.kitstack.plan import Spec
from deploy.local.kitstack.process import Process
from deploy.local.kitstack.wait import Check, wait_until

_TICKS = os.sysconf("SC_CLK_TCK")


def wait_for(what: str, ready: Callable[[], bool], *, timeout: float, alive: Callable[[], None]) -> None:
    """Polls `ready` (bounded by `timeout`) until it holds; `alive` raises when a process it depends on died."""

    def ready_now() -> bool:
        try:
            return ready()
        except OSError:
            return False

    def exited() -> str | None:
        alive()
        return None

    wait_until([Check(what, ready_now, what)], timeout=timeout, exited=exited, interval=0.05)


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent running processes since boot (user, nice, system).

    Interrupt and softirq time is left out: the kernel charges it to no process, and on loopback most of it is this
    run's own network traffic, which would otherwise show up as someone else's work.
    """
    user, nice, system = (int(x) for x in Path("/proc/stat").read_text().split(maxsplit=4)[1:4])
    return (user + nice + system) / _TICKS


@dataclass(frozen=True, slots=True)
class Usage:
    """What one process holds: resident memory now and at its peak (kB), and CPU seconds used so far."""

    pid: int
    rss_kb: int
    hwm_kb: int
    cpu_seconds: float


@dataclass
class Proc:
    """One program the harness runs, with its output in a log file; `stop` ends exactly this PID."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    process: Process | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.process.pid

    def start(self) -> Proc:
        """Starts the program in the background; its stdout and stderr go to `log_path`."""
        self.process = Process.start(Spec(self.name, tuple(self.argv), dict(self.env)), log=self.log_path)
        return self

    def check_alive(self) -> None:
        """Raises, with the end of its log, when the process has exited."""
        if self.process is not None:
            self.process.check_alive()

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines) if self.process is not None else ""

    def usage(self) -> Usage:
        """Reads VmRSS and VmHWM from /proc/<pid>/status and utime+stime from /proc/<pid>/stat."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        kb = {
            key: int(value.split()[0])
            for key, _, value in (line.partition(":") for line in status.splitlines())
            if key in ("VmRSS", "VmHWM")
        }
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is the state (field 3 of proc(5)); utime and stime are fields 14 and 15.
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        return Usage(pid=self.pid, rss_kb=kb.get("VmRSS", 0), hwm_kb=kb.get("VmHWM", 0), cpu_seconds=cpu)

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL when the process has not exited within `timeout`; waits for it either way."""
        if self.process is not None:
            self.process.stop(timeout=timeout)


__all__ = ["Proc", "Usage", "machine_busy_seconds", "wait_for"]
