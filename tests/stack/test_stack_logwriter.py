"""logwriter.py, which sits between each part of the local stack and its log: every line arrives, in order, and
the file rotates at its size with a bounded number of older files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.local.kitstack.procs import LOGWRITER


def test_lines_arrive_in_order_and_the_log_rotates_at_its_size(tmp_path: Path) -> None:
    log = tmp_path / "add.log"
    lines = [f"line {i:05d} " + "x" * 90 + "\n" for i in range(600)]  # about 60 kB
    done = subprocess.run(
        [sys.executable, str(LOGWRITER), str(log), "10000", "2"],
        input="".join(lines).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["add.log", "add.log.1", "add.log.2"]
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= 10000
    kept = log.with_suffix(".log.2").read_text() + log.with_suffix(".log.1").read_text() + log.read_text()
    assert kept.splitlines(keepends=True) == lines[-len(kept.splitlines()) :]
    assert kept.endswith(lines[-1])
