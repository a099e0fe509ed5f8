"""Faults a scenario injects: pause processes (SIGSTOP/SIGCONT), burn the CPU, kill a process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence

BURN = "import time\nend = time.monotonic() + float(__import__('sys').argv[1])\nwhile time.monotonic() < end: pass\n"


async def pause(pids: Sequence[int], seconds: float) -> float:
    """Stops every process of `pids` for `seconds`, then lets them go on; returns when they were let go."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    return time.monotonic()


async def burn(seconds: float, *, workers: int | None = None) -> None:
    """Keeps every core busy for `seconds` with processes of their own (bounded: each stops by itself)."""
    count = workers or os.cpu_count() or 2
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", BURN, str(seconds)) for _ in range(count)]
    try:
        async with asyncio.timeout(seconds + 30):
            await asyncio.gather(*(p.wait() for p in procs))
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()


def kill(pid: int) -> None:
    """SIGKILL: the process gets no chance to deregister or drain."""
    os.kill(pid, signal.SIGKILL)
