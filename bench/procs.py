"""The processes a benchmark run starts: each one started once, watched through /proc, and stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, ready: Callable[[], bool], *, timeout: float, alive: Callable[[], None]) -> None:
    """Polls `ready` (bounded by `timeout`) until it holds; `alive` raises when a process it depends on died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} was not ready within {timeout:.0f}s")


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
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.popen.pid

    def start(self) -> Proc:
        """Starts the program in the background; its stdout and stderr go to `log_path`."""
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.argv),
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def check_alive(self) -> None:
        """Raises, with the end of its log, when the process has exited."""
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

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
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


__all__ = ["Proc", "Usage", "free_port", "machine_busy_seconds", "wait_for"]
