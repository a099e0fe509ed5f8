"""Endpointers: the endpoints a balancer picks from, one per instance an instancer reports.

A `DefaultEndpointer` follows an instancer, makes an endpoint for each new instance with a `Factory`, closes the
endpoints of instances that left, and keeps the last endpoints when the instancer reports an error. Unlike go-kit's
endpoint cache it also ejects passively: an instance whose call fails with `ConnectionFailed` leaves the rotation at
once, before service discovery notices, and comes back when the instancer reports it again after it left the set,
or after `ejection_time` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from kit.endpoint import AnyEndpoint
from kit.errors import ConnectionFailed
from kit.sd.instancer import Event, Instancer

Closer: TypeAlias = Callable[[], Awaitable[None]]
"""Releases what a factory opened for one instance (a channel, a connection pool)."""

Factory: TypeAlias = Callable[[str], tuple[AnyEndpoint, Closer]]
"""Makes the endpoint for one instance (`host:port`) and the closer that releases it."""


@dataclass(frozen=True, slots=True)
class InstanceEndpoint:
    """An endpoint together with the instance it calls, so balancers and retries can tell instances apart."""

    instance: str
    endpoint: AnyEndpoint


class Endpointer(Protocol):
    """The current endpoints of a service, for a balancer to pick from."""

    def endpoints(self) -> Sequence[InstanceEndpoint]:
        """The endpoints to use now, ordered by instance; empty when none is known."""
        ...

    @property
    def discovery_error(self) -> Exception | None:
        """Why service discovery cannot say what the instances are right now (None while it can)."""
        ...


class FixedEndpointer:
    """An endpointer over endpoints that never change: static configuration and tests."""

    def __init__(self, endpoints: Sequence[InstanceEndpoint]) -> None:
        self._endpoints = tuple(endpoints)

    def endpoints(self) -> tuple[InstanceEndpoint, ...]:
        return self._endpoints

    @property
    def discovery_error(self) -> Exception | None:
        return None


@dataclass(frozen=True, slots=True)
class _Held:
    """One instance's endpoint as handed out (guarded) and the closer of what the factory made."""

    handed: InstanceEndpoint
    closer: Closer


class DefaultEndpointer:
    """Keeps one endpoint per instance an instancer reports, and leaves instances that refuse connections out.

    `invalidate_on_error`: after an error event, drop every endpoint once this many seconds pass without a good
    event (None keeps the last endpoints for as long as the error lasts). `ejection_time`: how long an ejected
    instance stays out when the instancer does not report it gone and back. `on_instances(n)` hears the number of
    instances held after every change (for the `kit_sd_instances` gauge). When every instance is ejected, all of
    them are handed out anyway: a try beats certain failure.
    """

    def __init__(
        self,
        instancer: Instancer,
        factory: Factory,
        *,
        invalidate_on_error: float | None = None,
        ejection_time: float = 10.0,
        on_instances: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._instancer = instancer
        self._factory = factory
        self._invalidate_on_error = invalidate_on_error
        self._ejection_time = ejection_time
        self._on_instances = on_instances
        self._clock = clock
        self._held: dict[str, _Held] = {}
        self._ejected: dict[str, float] = {}  # instance -> when it rejoins the rotation
        self._readmit_at: float | None = None  # the earliest of those, so endpoints() stays cheap
        self._invalidate_at: float | None = None
        self._error: Exception | None = None
        self._view: tuple[InstanceEndpoint, ...] = ()
        self._closing: set[asyncio.Task[None]] = set()
        self._orphans: list[Closer] = []  # closers due while no event loop ran; close() awaits them
        self._closed = False
        self._listener = self._update
        instancer.register(self._listener)

    def endpoints(self) -> tuple[InstanceEndpoint, ...]:
        if self._invalidate_at is not None or self._readmit_at is not None:
            now = self._clock()
            if self._invalidate_at is not None and now >= self._invalidate_at:
                self._invalidate_at = None
                self._replace(())
            elif self._readmit_at is not None and now >= self._readmit_at:
                self._ejected = {instance: until for instance, until in self._ejected.items() if until > now}
                self._rebuild()
        return self._view

    @property
    def discovery_error(self) -> Exception | None:
        return self._error

    def eject(self, instance: str) -> None:
        """Takes `instance` out of the rotation until it is reported again or `ejection_time` passes."""
        if instance not in self._held:
            return
        now = self._clock()
        until = self._ejected.get(instance)
        if until is not None and until > now:
            return
        self._ejected[instance] = now + self._ejection_time
        self._rebuild()

    async def close(self) -> None:
        """Stops following the instancer and closes every endpoint, waiting for the closers to finish."""
        if self._closed:
            return
        self._closed = True
        self._instancer.deregister(self._listener)
        held, self._held = self._held, {}
        self._ejected.clear()
        self._rebuild()
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
        held: dict[str, _Held] = {}
        for instance in sorted(set(instances)):
            current = self._held.pop(instance, None)
            if current is None:
                current = self._make(instance)
                if current is None:
                    continue
            held[instance] = current
        gone, self._held = self._held, held
        for instance, departed in gone.items():
            # Leaving the set is what readmits an ejected instance: if it comes back, it is a new start.
            self._ejected.pop(instance, None)
            self._close_later(departed.closer)
        self._rebuild()
        self._report()

    def _make(self, instance: str) -> _Held | None:
        try:
            endpoint, closer = self._factory(instance)
        except Exception:
            # Like go-kit: a factory failure leaves this one instance out; the next event tries it again.
            logging.getLogger(__name__).exception("factory failed for instance %s", instance)
            return None
        return _Held(InstanceEndpoint(instance, self._guard(instance, endpoint)), closer)

    def _guard(self, instance: str, endpoint: AnyEndpoint) -> AnyEndpoint:
        """Wraps `endpoint` so that a connection failure ejects its instance."""

        async def guarded(request: Any) -> Any:
            try:
                return await endpoint(request)
            except ConnectionFailed:
                held = self._held.get(instance)
                # A call that began before the instance left and came back says nothing about the new one.
                if held is not None and held.handed.endpoint is guarded:
                    self.eject(instance)
                raise

        return guarded

    def _rebuild(self) -> None:
        self._readmit_at = min(self._ejected.values(), default=None)
        live = tuple(h.handed for instance, h in self._held.items() if instance not in self._ejected)
        self._view = live or tuple(h.handed for h in self._held.values())

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
