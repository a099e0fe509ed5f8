"""Running py-consul's blocking calls off the event loop, in threads that never hold the interpreter's exit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any


def in_daemon_thread(call: Callable[[], Any]) -> asyncio.Future[Any]:
    """Runs a blocking call in a daemon thread and returns a future of its result.

    A blocking query holds its thread for up to `wait` seconds. An executor's threads are joined when the
    interpreter exits, so a stopping service would hang that long; a daemon thread is simply dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = call(), None
        except BaseException as exc:
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, daemon=True, name="consul-query").start()
    return future
