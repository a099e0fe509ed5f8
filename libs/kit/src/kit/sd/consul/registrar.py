"""Registering one instance in Consul, and keeping it registered while the process runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import consul

from kit.clock import Sleep
from kit.sd.consul.client import address_of
from kit.sd.consul.errors import CONSUL_ERRORS, ConsulPermissionDenied, is_unknown_service
from kit.sd.consul.outage import OutageLog
from kit.sd.consul.registration import Registration


class Registrar:
    """Registers a `Registration` with the local Consul agent and takes it out again (what `kit.run` calls a
    `Registrar`).

    `run()` keeps the registration alive while the process serves: a dev-mode agent that restarts forgets every
    service, so every `recheck_interval` seconds it asks the agent whether it still has this one and registers
    it again when not. py-consul is synchronous; its calls run in worker threads, one at a time. `sleep` is
    there for tests.
    """

    def __init__(
        self,
        client: consul.Consul,
        registration: Registration,
        *,
        recheck_interval: float = 2.0,
        logger: logging.Logger | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._registration = registration
        self._recheck_interval = recheck_interval
        self._logger = logger or logging.getLogger(__name__)
        self._sleep = sleep
        self._outage = OutageLog(self._logger)
        self._lock = asyncio.Lock()
        self._inflight: asyncio.Future[Any] | None = None
        self._wanted = True  # False after deregister(): run() must not bring the registration back

    @property
    def registration(self) -> Registration:
        """What this registrar registers."""
        return self._registration

    async def register(self) -> None:
        """Registers the instance (again, replacing its check, when it is registered already).

        Raises ConsulPermissionDenied when Consul's ACLs refuse it, and py-consul's or requests' error when Consul
        cannot be reached.
        """
        async with self._lock:
            self._wanted = True
            await self._register()
        self._logger.info("registered %s in Consul at %s", self._registration.id, address_of(self._client))

    async def deregister(self) -> None:
        """Removes the instance from Consul and stops `run()` from adding it back. Never raises: when Consul is
        gone it logs, and Consul drops the instance itself once its check has failed for `deregister_after`."""
        reg = self._registration
        async with self._lock:
            self._wanted = False
            try:
                await self._call(self._client.agent.service.deregister, reg.id)
            except Exception as exc:
                if is_unknown_service(exc):
                    self._logger.debug("%s was not registered in Consul", reg.id)
                    return
                self._logger.warning(
                    "could not deregister %s from Consul at %s: %s", reg.id, address_of(self._client), exc
                )
                return
        self._logger.info("deregistered %s from Consul at %s", reg.id, address_of(self._client))

    async def run(self) -> None:
        """Keeps the instance registered until cancelled; Consul being down or refusing is logged once per
        outage, and the loop carries on."""
        while True:
            async with self._lock:
                if self._wanted:
                    await self._ensure_registered()
            await self._sleep(self._recheck_interval)

    async def _ensure_registered(self) -> None:
        reg = self._registration
        addr = address_of(self._client)
        try:
            services = await self._call(self._client.agent.services)
            if reg.id not in (services or {}):
                await self._register()
                self._logger.info("registered %s in Consul at %s (the agent did not have it)", reg.id, addr)
        except ConsulPermissionDenied as exc:
            self._outage.failed("acl", "%s", exc, level=logging.ERROR)
        except consul.ACLPermissionDenied as exc:
            self._outage.failed(
                "acl",
                "Consul at %s denied reading its services (%s): "
                "set CONSUL_HTTP_TOKEN to a token with service:write on %r",
                addr,
                exc,
                reg.name,
                level=logging.ERROR,
            )
        except CONSUL_ERRORS as exc:
            self._outage.failed(
                "unreachable",
                "Consul at %s unreachable, will register %s again when it is back: %s",
                addr,
                reg.id,
                exc,
            )
        except Exception as exc:  # a bug must not end the loop that keeps the instance findable
            if self._outage.failed(
                "unexpected", "unexpected error keeping %s registered in Consul at %s: %r", reg.id, addr, exc
            ):
                self._logger.debug("details", exc_info=exc)
        else:
            self._outage.recovered("Consul at %s is back; %s is registered", addr, reg.id)

    async def _register(self) -> None:
        reg = self._registration
        try:
            await self._call(self._client.agent.service.register, **reg.register_arguments())
        except consul.ACLPermissionDenied as exc:
            raise ConsulPermissionDenied(
                f"Consul at {address_of(self._client)} denied registering service {reg.name!r} ({exc}): "
                f"set CONSUL_HTTP_TOKEN to a token with service:write on {reg.name!r}"
            ) from exc

    async def _call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        # A cancelled caller leaves its thread running; the next call waits for it, so a registration still on
        # its way cannot reach Consul after a later deregistration.
        if self._inflight is not None and not self._inflight.done():
            await asyncio.wait({self._inflight})
        self._inflight = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
        self._inflight.add_done_callback(_retrieve)
        return await asyncio.shield(self._inflight)


def _retrieve(future: asyncio.Future[Any]) -> None:
    # Marks the outcome of a call whose caller was cancelled as seen; asyncio would warn about it otherwise.
    if not future.cancelled():
        future.exception()
