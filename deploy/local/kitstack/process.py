"""One started process with its output in a log file: the launcher's unit, shared by `make up`, the bench
(bench/stack.py) and the integration tests (tests/integration). Started from a `Spec`, watched while it gets
ready, stopped by its own PID only (SIGTERM, then SIGKILL), and never signalled once its PID names another
process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import procs
from .plan import Spec
from .state import Proc
from .wait import Check, wait_until


class Exited(RuntimeError):
    """The process is gone; the message holds its exit code and the end of its log."""


@dataclass
class Process:
    """A started `Spec`: its record (pid, argv, start time), its Popen (to reap it), and its log file."""

    spec: Spec
    log: Path
    record: Proc
    popen: subprocess.Popen[bytes] = field(repr=False)
    writer: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    terminated: bool = field(default=False, init=False)
    """SIGTERM was sent already: `stop` then only waits (a second SIGTERM means "stop now" to a kit service)."""

    @classmethod
    def start(
        cls,
        spec: Spec,
        *,
        log: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        detach: bool = False,
        rotation: procs.Rotation | None = None,
    ) -> Process:
        """Starts `spec` with its environment over `env` (default: this process's), output appended to `log`.
        `detach` puts it in a session of its own, so it outlives the launcher and a Ctrl-C does not reach it;
        `rotation` rotates its log at a size."""
        base = dict(os.environ if env is None else env)
        record, popen, writer = procs.spawn_logged(
            spec.name,
            spec.argv,
            env={**base, **spec.env},
            log=log,
            cwd=cwd or Path.cwd(),
            ports=spec.ports,
            health=spec.health,
            detach=detach,
            rotation=rotation,
        )
        return cls(spec, log, record, popen, writer)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.record.pid

    def returncode(self) -> int | None:
        """The exit code once the process has exited, else None."""
        return self.popen.poll()

    def check_alive(self) -> None:
        """Raises Exited, with the end of its log, when the process has exited."""
        code = self.popen.poll()
        if code is not None:
            raise Exited(f"{self.name} exited with {code}:\n{self.log_tail()}")

    def wait_ready(
        self, ready: Callable[[], bool], *, timeout: float, also: Callable[[], None] = lambda: None
    ) -> Process:
        """Polls `ready` (bounded by `timeout`) until it holds; Exited when the process (or, through `also`, one it
        depends on) exits first. A process that never gets ready is stopped, and WaitFailed names it."""

        def gone() -> str | None:
            also()
            return self.name if self.popen.poll() is not None else None

        try:
            wait_until([Check(self.name, ready, self.name)], timeout=timeout, exited=gone, interval=0.05)
        except Exception:
            if self.popen.poll() is not None:
                raise Exited(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}") from None
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        """Whether the process still runs (a child's PID cannot name another process until it is reaped)."""
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        """Sends `signum` while the process still runs."""
        if self.alive():
            self.popen.send_signal(signum)
            self.terminated = self.terminated or signum == signal.SIGTERM

    def wait(self, timeout: float) -> int | None:
        """Waits (bounded) for the process to exit; its exit code, or None if it still runs."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, *, timeout: float = 10.0) -> procs.Stopped:
        """SIGTERM, then SIGKILL past `timeout` seconds; reaps the process."""
        if self.terminated:
            exited = self.wait(timeout) is not None
            if not exited:
                self.kill()
            self._reap()
            return procs.Stopped(self.name, self.pid, "stopped" if exited else "killed")
        stopped = procs.stop([self.record], timeout=timeout, is_alive=lambda _: self.alive())[0]
        self._reap()
        return stopped

    def _reap(self) -> None:
        for child in (self.popen, self.writer):
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash, as far as its peers can tell)."""
        self.signal(signal.SIGKILL)
        self._reap()

    def log_tail(self, lines: int = 30) -> str:
        return procs.tail(self.log, lines)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


__all__ = ["Exited", "Process"]
