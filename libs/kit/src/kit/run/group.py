"""A group of actors that run together and stop together, in the spirit of oklog/run.

An actor is a pair of coroutine functions: `execute` does the work until it is done or told to stop, `interrupt`
tells it to stop. When the first `execute` returns (or raises), the group interrupts every actor and waits for
every `execute` to return. Unlike oklog/run, the interrupts are awaited one after another in the order the actors
were added, so an actor's interrupt may take time (deregister, wait, drain) and the next one starts after it: the
order of `add` is the order of shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Execute = Callable[[], Awaitable[None]]
"""Does an actor's work; returns when done or interrupted."""
Interrupt = Callable[[], Awaitable[None]]
"""Makes the actor's `execute` return (soon)."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Actor:
    """One member of a `Group`: its `execute` and its `interrupt`, and a name for the logs."""

    execute: Execute
    interrupt: Interrupt
    name: str = "actor"


class Group:
    """Actors that run until the first of them returns; then all are interrupted, in order, and awaited."""

    def __init__(self) -> None:
        self._actors: list[Actor] = []

    def add(self, actor: Actor) -> None:
        """Adds an actor; it starts when `run` is called, and is interrupted after those added before it."""
        self._actors.append(actor)

    async def run(self) -> None:
        """Runs every actor; returns when all have returned. Raises what the first actor to return raised."""
        if not self._actors:
            return
        tasks = [asyncio.create_task(_call(actor.execute), name=actor.name) for actor in self._actors]
        cancelled = False
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # our caller cancelled: stop every actor in order all the same
            done, cancelled = set(), True
        first = next(task for task in tasks if task in done) if done else None
        if first is not None:
            _log.debug("%s returned: interrupting the others", first.get_name())
        for actor in self._actors:
            try:
                await actor.interrupt()
            except Exception:
                _log.exception("interrupting %s failed", actor.name)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if isinstance(result, Exception) and task is not first:
                _log.warning("%s failed while stopping: %r", task.get_name(), result)
        if cancelled:
            raise asyncio.CancelledError
        if first is not None and not first.cancelled():
            error = first.exception()
            if error is not None:
                raise error


async def _call(execute: Execute) -> None:
    await execute()


__all__ = ["Actor", "Execute", "Group", "Interrupt"]
