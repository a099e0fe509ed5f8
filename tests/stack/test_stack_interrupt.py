"""Ctrl-C during a slow `stack.py up`, for real: the launcher runs in a process group of its own and the whole
group gets SIGINT, as a terminal sends it. Whenever it comes, `up` ends with one `stack: ...` line and no Python
traceback, and leaves no part running and no port held (what it started it stopped; what its state still
records, `down` stops). Three moments: while Python imports, while the first parts start, while the stack is
half up. About 15 s on an idle machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e import e2e_stack

from deploy.local.kitstack.ports import Ports, busy
from deploy.local.kitstack.procs import is_ours
from deploy.local.kitstack.state import RunDir

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _interrupt_up(env: dict[str, str], until: str | float) -> tuple[int, str]:
    """Starts `up`, waits until its output holds `until` (or for `until` seconds), sends SIGINT to its group."""
    launcher = subprocess.Popen(
        [sys.executable, str(e2e_stack.LAUNCHER), "up"],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert launcher.stdout is not None
    seen = ""
    if isinstance(until, float):
        time.sleep(until)
    while isinstance(until, str) and until not in seen:
        line = launcher.stdout.readline()
        assert line, f"up ended before printing {until!r}:\n{seen}"
        seen += line
    os.killpg(launcher.pid, signal.SIGINT)
    rest, _ = launcher.communicate(timeout=120)
    return launcher.wait(), seen + rest


@pytest.mark.parametrize("until", [0.2, "starting the stack", "ready 2/"], ids=["importing", "starting", "half-up"])
def test_ctrl_c_during_up_is_one_line_and_leaves_nothing_running(tmp_path: Path, until: str | float) -> None:
    env = e2e_stack.stack_env(tmp_path / "run", trims=2)
    run = RunDir(tmp_path / "run")
    try:
        code, out = _interrupt_up(env, until)
        print(out)

        assert code != 0
        assert "Traceback" not in out
        lines = out.strip().splitlines()
        assert not lines or lines[-1].startswith("stack: ")  # nothing at all when SIGINT beat Python's own start
        state = run.load()
        assert state is None or not [p for p in state.procs if is_ours(p)]
        ports = Ports.from_env(env).listening(2)
        deadline = time.monotonic() + 15
        while busy(ports) and time.monotonic() < deadline:  # a part stopped a moment ago may still close its port
            time.sleep(0.2)
        assert not busy(ports)
    finally:
        if run.state_path.exists():
            e2e_stack.launch(env, "down", timeout=60)
