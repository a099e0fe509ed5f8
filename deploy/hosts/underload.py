"""A run of the load inside host `load` while a fault is made: its marks (the instants of the run) and what it
recorded, read back as a `Run` once the load has stopped."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from deploy.local.kitstack.tools import Tools

from . import plan
from .bed import Bed, BedError
from .figures import Figures, Run
from .topology import ADD_HTTP

RATE = 20.0
"""Requests a second the load sends during a fault."""
LOAD_TIMEOUT = 120.0  # for the load to start, and to stop (its requests end within 5 s; a saturated machine is slower)


@dataclass(frozen=True, slots=True)
class Result:
    """One fault's figures and the run they were read from (tests assert on both)."""

    figures: Figures
    run: Run


class Marks(dict[str, float]):
    """The instants of a run (epoch seconds, the clock the load records with)."""

    def mark(self, name: str) -> None:
        self[name] = time.time()


@contextlib.contextmanager
def under_load(bed: Bed, name: str, *, rate: float = RATE) -> Iterator[Marks]:
    """Runs `deploy.hosts.load` inside host `load` for the body of the `with`; the run is read after it."""
    out = bed.run_dir / "load" / f"{name}.json"
    ready = out.with_suffix(".ready")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    ready.unlink(missing_ok=True)
    argv = [
        str(Tools.find(bed.root).python), "-m", "deploy.hosts.load",
        "--add", f"http://{bed.add.address}:{ADD_HTTP}", "--agent", bed.add.consul,
        "--rate", str(rate), "--max-duration", "300", "--out", str(out),
    ]  # fmt: skip
    with (bed.logs / f"load-{name}.log").open("ab") as log:
        popen = subprocess.Popen(list(plan.nsenter(bed.load, argv)), cwd=bed.root, stdout=log, stderr=log)
    marks = Marks()
    try:
        # the clock starts once the load runs: a busy machine takes seconds to start its Python
        deadline = time.monotonic() + LOAD_TIMEOUT
        while not ready.exists() and popen.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        marks.mark("load")
        yield marks
    finally:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=LOAD_TIMEOUT)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
            raise BedError(f"the load of {name} did not stop within {LOAD_TIMEOUT:.0f}s of SIGTERM") from None
    if popen.returncode != 0 or not out.exists():
        raise BedError(f"the load of {name} failed (exit {popen.returncode}); see {bed.logs}/load-{name}.log")


def read_run(bed: Bed, name: str, marks: Mapping[str, float]) -> Run:
    """The run the load of `name` wrote, with its marks (which are kept beside it for a later look)."""
    folder = bed.run_dir / "load"
    (folder / f"{name}.marks.json").write_text(json.dumps(marks))  # beside the run, for a later look
    return Run.from_json(json.loads((folder / f"{name}.json").read_text()), marks)


__all__ = ["LOAD_TIMEOUT", "RATE", "Marks", "Result", "read_run", "under_load"]
