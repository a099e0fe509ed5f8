"""The actors a service's `kit.run.Group` is made of, besides its servers: the serving flag, a Consul
registration kept alive, and background work that runs until cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from kit.run.group import Actor, Execute
from kit.run.serving import Serving

_log = logging.getLogger("kit.run")


class Registrar(Protocol):
    """What kit.run needs of a registrar (kit.sd.consul.Registrar fits)."""

    async def register(self) -> None: ...

    async def deregister(self) -> None: ...

    async def run(self) -> None: ...


def serving(flag: Serving) -> Actor:
    """Reports serving while the group runs; its interrupt reports not serving (health checks fail from then on),
    so add it before the registration and the servers: it is the first step of the drain."""
    interrupted = asyncio.Event()

    async def execute() -> None:
        if not interrupted.is_set():
            flag.set(True)
        await interrupted.wait()

    async def interrupt() -> None:
        flag.set(False)
        interrupted.set()

    return Actor(execute, interrupt, "serving")


def background(work: Execute, *, name: str, then: Callable[[], Awaitable[None]] | None = None) -> Actor:
    """An actor for work that runs until cancelled (a watcher, a keep-alive loop). Its interrupt cancels the work,
    waits for it, then awaits `then` (if given). An exception in the work is logged and ends the actor (and so
    the group, as oklog/run would)."""
    task: asyncio.Task[None] | None = None
    interrupted = False

    async def execute() -> None:
        nonlocal task
        if interrupted:
            return
        task = asyncio.create_task(_logged(work, name), name=name)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        if then is not None:
            await then()

    return Actor(execute, interrupt, name)


def registration(registrar: Registrar) -> Actor:
    """Registers the instance and keeps it registered; its interrupt stops that loop, then deregisters (never
    raising: a Consul that is gone drops the instance itself once its check fails)."""

    async def keep_registered() -> None:
        try:
            await registrar.register()
        except Exception as exc:  # Consul down or refusing: the run loop below keeps trying
            _log.warning("registration failed, will retry: %s", exc)
        await registrar.run()

    async def deregister() -> None:
        try:
            await registrar.deregister()
        except Exception as exc:
            _log.warning("deregister failed: %s", exc)

    return background(keep_registered, name="registration", then=deregister)


async def _logged(work: Execute, name: str) -> None:
    try:
        await work()
    except Exception:
        _log.exception("%s failed", name)
        raise


__all__ = ["Registrar", "background", "registration", "serving"]
