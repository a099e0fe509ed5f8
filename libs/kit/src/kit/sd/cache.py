"""The endpoint cache: a `DefaultEndpointer` keeps one endpoint per instance an instancer reports.

It follows an instancer, makes an endpoint for each new instance with a `Factory`, closes the endpoints of instances
that left, and keeps the last endpoints when the instancer reports an error. Unlike go-kit's endpoint cache it never
blocks a caller: factories are synchronous and closers run in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic

from kit.endpoint import Req, Resp
from kit.sd.endpointer import InstanceEndpoint
from kit.sd.factory import Closer, Factory
from kit.sd.instancer import Event, Instancer


@dataclass(frozen=True, slots=True)
class _Held(Generic[Req, Resp]):
    """One instance's endpoint as handed out and the closer of what the factory made."""

    handed: InstanceEndpoint[Req, Resp]
    closer: Closer


class DefaultEndpointer(Generic[Req, Resp]):
    """Keeps one endpoint per instance an instancer reports, made by `factory` and closed when the instance leaves.

    `invalidate_on_error`: after an error event, drop every endpoint once this many seconds pass without a good
    event (None keeps the last endpoints for as long as the error lasts). `on_instances(n)` hears the number of
    instances held after every change (for the `kit_sd_instances` gauge). Which of them a call should avoid
    (open circuit, slow) is the balancer's business: see `kit.sd.lb.Outliers`.
    """

    def __init__(
        self,
        instancer: Instancer,
        factory: Factory[Req, Resp],
        *,
        invalidate_on_error: float | None = None,
        on_instances: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._instancer = instancer
        self._factory = factory
        self._invalidate_on_error = invalidate_on_error
        self._on_instances = on_instances
        self._clock = clock
        self._held: dict[str, _Held[Req, Resp]] = {}
        self._invalidate_at: float | None = None
        self._error: Exception | None = None
        self._view: tuple[InstanceEndpoint[Req, Resp], ...] = ()
        self._closing: set[asyncio.Task[None]] = set()
        self._orphans: list[Closer] = []  # closers due while no event loop ran; close() awaits them
        self._closed = False
        self._listener = self._update
        instancer.register(self._listener)

    def endpoints(self) -> tuple[InstanceEndpoint[Req, Resp], ...]:
        if self._invalidate_at is not None and self._clock() >= self._invalidate_at:
            self._invalidate_at = None
            self._replace(())
        return self._view

    @property
    def discovery_error(self) -> Exception | None:
        return self._error

    async def close(self) -> None:
        """Stops following the instancer and closes every endpoint, waiting for the closers to finish."""
        if self._closed:
            return
        self._closed = True
        self._instancer.deregister(self._listener)
        held, self._held = self._held, {}
        self._view = ()
        self._invalidate_at = None
        closers, self._orphans = [h.closer for h in held.values()] + self._orphans, []
        await asyncio.gather(*(self._run_closer(closer) for closer in closers), *self._closing)
        self._report()

    def _update(self, event: Event) -> None:
        if self._closed:
            return
        if event.error is not None:
            if self._invalidate_on_error is not None and self._error is None:
                self._invalidate_at = self._clock() + self._invalidate_on_error
            self._error = event.error
            return
        self._error = None
        self._invalidate_at = None
        self._replace(event.instances)

    def _replace(self, instances: Sequence[str]) -> None:
        """Makes the held set exactly `instances`: keeps survivors, makes newcomers, closes the departed."""
        held: dict[str, _Held[Req, Resp]] = {}
        for instance in sorted(set(instances)):
            current = self._held.pop(instance, None)
            if current is None:
                current = self._make(instance)
                if current is None:
                    continue
            held[instance] = current
        gone, self._held = self._held, held
        for departed in gone.values():
            self._close_later(departed.closer)
        self._view = tuple(h.handed for h in held.values())
        self._report()

    def _make(self, instance: str) -> _Held[Req, Resp] | None:
        try:
            endpoint, closer = self._factory(instance)
        except Exception:
            # Like go-kit: a factory failure leaves this one instance out; the next event tries it again.
            logging.getLogger(__name__).exception("factory failed for instance %s", instance)
            return None
        return _Held(InstanceEndpoint(instance, endpoint), closer)

    def _report(self) -> None:
        if self._on_instances is not None:
            self._on_instances(len(self._held))

    def _close_later(self, closer: Closer) -> None:
        # Listeners are synchronous and closers are not, so closing runs in a task that close() waits for.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._orphans.append(closer)
            return
        task = loop.create_task(self._run_closer(closer))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _run_closer(closer: Closer) -> None:
        try:
            await closer()
        except Exception:
            logging.getLogger(__name__).exception("closing an endpoint failed")
