"""Starting parts of the local stack and waiting until the whole stack is healthy. One `Launch` serves the first
`up`, an `up` that brings back the parts that died, and `restart`: every process it starts is written to the state
at once, so `down` stops it whatever happens next."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import acl, plan, procs, prometheus
from .ports import Ports, offset_from_env
from .process import Process
from .state import Proc, RunDir, State
from .tools import Tools
from .wait import ProgressLine, WaitFailed, wait_until

MAX_TRIMS = 10


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Holds a Ctrl-C (SIGINT) back until the block is done, then raises KeyboardInterrupt: for what must not be cut
    in half, such as starting a detached process and recording it. Outside the main thread it holds nothing back
    (Python delivers signals to the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


class StackError(RuntimeError):
    """`up`, `restart` or `down` cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Options:
    """How the local stack runs: the repository, the run folder, ports, trims and time bounds."""

    root: Path
    run_dir: RunDir
    ports: Ports
    trims: int = 2
    up_timeout: float = 60.0
    stop_timeout: float = 15.0
    env: Mapping[str, str] | None = None
    rotation: procs.Rotation | None = None

    def environ(self) -> dict[str, str]:
        return dict(os.environ if self.env is None else self.env)


TOKENS_FILE = "consul-tokens.json"
"""In the run folder: the stack's Consul ACL tokens (management, add, trim, prometheus, each extra service),
mode 0600."""


def tokens(opts: Options) -> acl.Tokens:
    """The stack's Consul ACL tokens, made the first time, and one for each extra service (see `acl`)."""
    names = [ext.name for ext in extra_services(opts)]
    return acl.Tokens.load_or_make(opts.run_dir.path / TOKENS_FILE, names)


def specs(opts: Options, tools: Tools, trims: int) -> tuple[plan.Spec, ...]:
    """Every part of a stack with `trims` trims, in start order: Consul (ACLs enforced), Prometheus, the trims, the
    extra services (services/*/stack.toml), add, each with its own Consul token. Renders the Prometheus
    configuration and Consul's ACL configuration into the run folder on the way (the same text each time)."""
    run = opts.run_dir
    secrets = tokens(opts)
    try:
        files = prometheus.render(
            opts.root,
            run.path / "prometheus",
            consul=f"{plan.HOST}:{opts.ports.consul_http}",
            prometheus=f"{plan.HOST}:{opts.ports.prometheus}",
            token=secrets.prometheus,
        )
        acl_config = acl.write_agent_config(secrets, run.path / "consul-acl.hcl")
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError(f"cannot write the Prometheus or Consul configuration: {exc}") from None
    data = run.path / "prometheus" / "data"
    return (
        plan.consul(tools, opts.ports, acl_config=acl_config),
        plan.prometheus(tools, opts.ports, files, data),
        *plan.services(tools, opts.ports, trims, opts.environ(), secrets.by_service(), extra_services(opts)),
    )


def extra_services(opts: Options) -> tuple[plan.Extra, ...]:
    """The services beyond add and trim (services/*/stack.toml), on ports moved by STACK_PORT_OFFSET."""
    return plan.extras(opts.root, offset_from_env(opts.environ()))


class Launch:
    """Starts specs into `state` (saving it after each start) and waits until the stack's checks pass."""

    def __init__(self, opts: Options, state: State, out: TextIO) -> None:
        self.opts = opts
        self.state = state
        self.started: list[Proc] = []
        self.out = out
        self.progress = ProgressLine(out)
        self._processes: list[Process] = []
        self._t0 = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def start(self, spec: plan.Spec) -> None:
        """Starts one part; its record replaces any earlier record of the same name."""
        run = self.opts.run_dir
        env = self.opts.environ()
        log = run.logs / f"{spec.name}.log"
        rotation = self.opts.rotation
        with deferred_interrupt():  # a part started but not yet recorded would outlive a Ctrl-C here
            process = Process.start(spec, log=log, cwd=self.opts.root, env=env, detach=True, rotation=rotation)
            self._processes.append(process)
            self.started.append(process.record)
            self.state = self.state.replacing(process.record)
            run.save(self.state)

    def _exited(self) -> str | None:
        return next((p.name for p in self._processes if not p.alive()), None)

    def wait(self, everything: Sequence[plan.Spec], *, leader_only: bool = False) -> None:
        """Waits until the checks of the whole stack pass (or only Consul's leader check); WaitFailed otherwise."""
        checks = plan.checks(everything, self.opts.ports, self.state.trims)
        remaining = max(1.0, self.opts.up_timeout - self.elapsed)
        if leader_only:
            wait_until(checks[:1], timeout=remaining, exited=self._exited)
        else:
            wait_until(checks, timeout=remaining, exited=self._exited, progress=self.progress)

    def run(self, everything: Sequence[plan.Spec], names: Sequence[str]) -> None:
        """Starts the parts named in `names` in the stack's order (after a restarted Consul has a leader, as the
        services register at start), then waits for the whole stack. On a failure or Ctrl-C stops what this
        launch started (nothing else) and raises StackError with the failing part's log."""
        wanted = [s for s in everything if s.name in names]
        try:
            if "consul" not in names:
                # Consul runs already: a service generated since it started needs its policy and token there.
                acl.setup(f"{plan.HOST}:{self.opts.ports.consul_http}", tokens(self.opts))
            for spec in wanted:
                self.start(spec)
                if spec.name == "consul":
                    self.wait(everything, leader_only=True)
                    # The dev agent keeps nothing: policies and tokens again after each start.
                    acl.setup(f"{plan.HOST}:{self.opts.ports.consul_http}", tokens(self.opts))
            self.wait(everything)
        except (WaitFailed, KeyboardInterrupt, OSError) as exc:
            self.progress.end()
            print("stopping what was started ...", file=self.out)
            procs.stop(list(reversed(self.started)), timeout=self.opts.stop_timeout)
            self.state = self.state.without(p.name for p in self.started)
            self.opts.run_dir.save(self.state)
            part = exc.part if isinstance(exc, WaitFailed) else None
            raise StackError(failure(exc, part, self.opts.run_dir)) from None


def failure(exc: BaseException, part: str | None, run: RunDir) -> str:
    """Why the stack did not come up, with the end of the failing part's log."""
    reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
    if part is None:
        return f"the stack did not come up: {reason}"
    log = run.logs / f"{part}.log"
    return f"the stack did not come up: {reason}\n--- last lines of {log} ---\n{procs.tail(log, 30)}"


__all__ = [
    "MAX_TRIMS",
    "TOKENS_FILE",
    "Launch",
    "Options",
    "StackError",
    "deferred_interrupt",
    "extra_services",
    "failure",
    "specs",
    "tokens",
]
