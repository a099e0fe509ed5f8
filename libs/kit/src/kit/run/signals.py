"""SIGTERM and SIGINT as an actor of a `kit.run.Group`: the first signal ends it (and so starts the shutdown), a
second one says "hurry": skip what is left of the drain and stop now."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

from kit.run.group import Actor

_log = logging.getLogger("kit.run")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Signals:
    """The process's stop signals. `stop` is set by the first signal (or by a caller, as tests do); `hurry` by
    the second. Handlers are installed only inside `installed()`."""

    def __init__(self, stop: asyncio.Event | None = None) -> None:
        self.stop = stop or asyncio.Event()
        self.hurry = asyncio.Event()

    def actor(self) -> Actor:
        """An actor that returns when `stop` is set; its interrupt sets `stop` (the group is ending anyway)."""

        async def interrupt() -> None:
            self.stop.set()

        async def execute() -> None:
            await self.stop.wait()

        return Actor(execute, interrupt, "signals")

    def received(self, signum: int) -> None:
        """What a signal does: the first sets `stop`, any later one sets `hurry`."""
        name = signal.Signals(signum).name
        if self.stop.is_set():
            _log.warning("second signal: stopping now", extra={"signal": name})
            self.hurry.set()
        else:
            _log.info("signal received: draining", extra={"signal": name})
            self.stop.set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[Signals]:
        """Routes SIGTERM and SIGINT of the running loop to `received` for the duration of the block."""
        loop = asyncio.get_running_loop()
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, self.received, signum)
        try:
            yield self
        finally:
            for signum in _SIGNALS:
                loop.remove_signal_handler(signum)


__all__ = ["Signals"]
