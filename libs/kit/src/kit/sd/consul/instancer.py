"""Following the passing instances of a service in Consul with blocking queries."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import consul

from kit.clock import Sleep
from kit.sd.broadcaster import Broadcaster
from kit.sd.consul.addresses import instances_of
from kit.sd.consul.client import address_of
from kit.sd.consul.errors import CONSUL_ERRORS, ConsulPermissionDenied
from kit.sd.consul.outage import OutageLog
from kit.sd.consul.thread import in_daemon_thread
from kit.sd.instancer import Event, Listener

DEFAULT_GRACE = 30.0
"""Seconds an instance is kept after a restarted (or reconnected) Consul answers without it."""


class ConsulInstancer:
    """Keeps the set of (passing) instances of one service current (implements `kit.sd.Instancer`).

    `start()` reads the set once, then a background task follows it with blocking queries on Consul's health
    API, so changes arrive as Consul sees them, without polling. When Consul cannot be reached the listeners keep
    the last known set (they get one error event), the outage is logged once, and the query is retried with
    exponential backoff up to `backoff_max` seconds. py-consul is synchronous: queries run in a worker thread of
    this instancer, and `stop()` does not wait for one that is blocked in Consul (it ends within `wait`; the
    client's request timeout is longer than `wait` by its `connections_timeout`). `sleep` is there for tests.

    A Consul that comes back empty is not believed at once. Its first answer after an outage, and an answer whose
    index went backwards (the agent restarted and lost its state: go-kit/kit#997), may lack instances only because
    they have not registered again yet; for `grace` seconds the instances of the last known set that such an answer
    lacks are kept (alongside the ones it has), and the callers' own health (the balancer's outlier ejection and
    breakers) judges them meanwhile, as Envoy keeps its endpoints through a control-plane outage. An instance that
    leaves the set while Consul's index moves on (its check went critical, it deregistered) is dropped at once:
    that is Consul's real signal of a dead instance. `grace=0` believes every answer.
    """

    def __init__(
        self,
        client: consul.Consul,
        service: str,
        *,
        tag: str | None = None,
        passing_only: bool = True,
        wait: str = "5s",
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        grace: float = DEFAULT_GRACE,
        logger: logging.Logger | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._service = service
        self._tag = tag
        self._passing_only = passing_only
        self._wait = wait
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._logger = logger or logging.getLogger(__name__)
        self._sleep = sleep
        self._broadcaster = Broadcaster()
        self._outage = OutageLog(self._logger)
        self._task: asyncio.Task[None] | None = None
        self._acl_checked = False
        self._grace = grace
        self._known: tuple[str, ...] = ()  # the last set sent (held instances included)
        self._consul_set: tuple[str, ...] = ()  # the last set Consul answered
        self._held: frozenset[str] = frozenset()  # kept though Consul's last (suspect) answer lacks them
        self._hold_task: asyncio.Task[None] | None = None
        self._suspect = False  # the next answer follows an outage: Consul may have come back empty

    @property
    def state(self) -> Event:
        """The last event sent: the current instances, or the last known ones and the error."""
        return self._broadcaster.state

    def register(self, listener: Listener) -> None:
        self._broadcaster.register(listener)

    def deregister(self, listener: Listener) -> None:
        self._broadcaster.deregister(listener)

    async def start(self) -> None:
        """Reads the current set (so a listener registering next gets it), then follows it in the background.
        Consul being down is not an error here: the instancer keeps trying."""
        if self._task is not None:
            raise RuntimeError(f"the Consul instancer of {self._service!r} is already started")
        index: int | None = None
        with contextlib.suppress(Exception):
            index = await self._poll(None)
        self._task = asyncio.create_task(self._follow(index), name=f"consul-instancer-{self._service}")

    async def stop(self) -> None:
        """Stops following Consul; listeners get no more events."""
        if self._hold_task is not None:
            self._hold_task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._broadcaster.clear()

    async def _follow(self, index: int | None) -> None:
        delay = self._backoff_initial
        while True:
            try:
                index = await self._poll(index)
            except Exception:
                index = None  # after an outage, read the set at once instead of blocking on an old index
                await self._sleep(delay)
                delay = min(delay * 2, self._backoff_max)
            else:
                delay = self._backoff_initial

    async def _poll(self, index: int | None) -> int | None:
        """One query (blocking when `index` is known); returns the index for the next one. Failures are logged,
        sent to the listeners, and raised."""
        try:
            raw_index, entries = await self._run(
                self._client.health.service,
                self._service,
                index=None if index is None else str(index),
                wait=self._wait,
                passing=self._passing_only,
                tag=self._tag,
            )
            new_index = int(raw_index)
            instances = instances_of(entries or ())
        except Exception as exc:
            self._suspect = True
            self._failed(exc)
            raise
        self._outage.recovered("Consul at %s is back; following service %r", address_of(self._client), self._service)
        went_back = index is not None and new_index < index
        self._update(instances, suspect=self._suspect or went_back)
        self._suspect = False
        if not instances:
            await self._explain_empty()
        if went_back:
            self._logger.debug(
                "Consul index went backwards (%d < %d): Consul restarted; reading anew", new_index, index
            )
            return None
        return max(new_index, 1)

    def _update(self, instances: tuple[str, ...], *, suspect: bool) -> None:
        """Sends Consul's answer, with the instances it lacks kept for `grace` when the answer is suspect."""
        self._consul_set = instances
        if suspect and self._grace > 0:
            lost = set(self._known) - set(instances)
            if lost and not self._held:
                self._logger.info(
                    "Consul answered without %d known instance(s) of %r right after an outage or restart; keeping "
                    "them for %gs while they register again",
                    len(lost),
                    self._service,
                    self._grace,
                )
                self._hold_task = asyncio.create_task(self._end_hold(), name=f"consul-grace-{self._service}")
            self._held = self._held | lost
        self._held = self._held - set(instances)
        if not self._held and self._hold_task is not None:
            self._hold_task.cancel()
            self._hold_task = None
        self._send()

    def _send(self) -> None:
        self._known = tuple(sorted({*self._consul_set, *self._held}))
        self._broadcaster.update(Event(instances=self._known))

    async def _end_hold(self) -> None:
        await self._sleep(self._grace)
        self._hold_task = None
        if self._held:
            self._logger.warning(
                "%d instance(s) of %r did not register again in Consul within %gs: dropping them",
                len(self._held),
                self._service,
                self._grace,
            )
            self._held = frozenset()
            self._send()

    def _failed(self, exc: Exception) -> None:
        addr = address_of(self._client)
        if isinstance(exc, consul.ACLPermissionDenied):
            message = (
                f"permission denied reading service {self._service!r} from Consul: set CONSUL_HTTP_TOKEN to a token "
                f"allowed to read it (Consul at {addr} said: {exc})"
            )
            if self._outage.failed("acl", "%s", message, level=logging.ERROR):
                self._broadcaster.update(Event(error=ConsulPermissionDenied(message)))
        elif isinstance(exc, CONSUL_ERRORS):
            if self._outage.failed(
                "unreachable",
                "Consul at %s unreachable, keeping the last known instances of %r: %s",
                addr,
                self._service,
                exc,
            ):
                self._broadcaster.update(Event(error=exc))
        elif self._outage.failed(
            "unexpected", "unexpected error following service %r in Consul at %s: %r", self._service, addr, exc
        ):
            self._logger.debug("details", exc_info=exc)
            self._broadcaster.update(Event(error=exc))

    async def _explain_empty(self) -> None:
        # With ACLs, Consul 1.8 filters what an anonymous caller may not read and answers 200 with an empty list;
        # a missing token would look like "no instances". Ask once whether that is what happened.
        if self._acl_checked or self._client.token:
            return
        self._acl_checked = True
        try:
            await self._run(self._client.acl.token.read_self)
        except consul.ACLPermissionDenied:
            self._logger.error(
                "Consul at %s enforces ACLs and CONSUL_HTTP_TOKEN is not set: instances of service %r may be hidden "
                "from this anonymous reader; set CONSUL_HTTP_TOKEN",
                address_of(self._client),
                self._service,
            )
        except Exception:  # ACLs disabled (401) or no answer: nothing to explain
            return

    async def _run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return await in_daemon_thread(functools.partial(fn, *args, **kwargs))
