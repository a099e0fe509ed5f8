"""Scripted instances for tests of the retry: each instance fails with a given error, hangs, or answers, and every
call is recorded in order; a balancer that hands them out in a given order."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from kit.endpoint import deadline, request_id
from kit.sd import FixedEndpointer, InstanceEndpoint
from kit.sd.lb import NoEndpoints, RoundRobin


class Script:
    """Endpoints per instance that fail with a given error, hang, or answer; records every call in order."""

    def __init__(self, **behaviour: Exception | str | None) -> None:
        self.behaviour = {name.replace("_", ":"): what for name, what in behaviour.items()}
        self.calls: list[str] = []
        self.seen: list[tuple[float | None, str | None]] = []
        self.never = asyncio.Event()

    def endpoint(self, instance: str) -> Any:
        async def call(request: Any) -> Any:
            self.calls.append(instance)
            self.seen.append((deadline(), request_id()))
            what = self.behaviour[instance]
            if what == "hang":
                await self.never.wait()
            if isinstance(what, Exception):
                raise what
            return f"{instance} answered {request}"

        return call

    def endpointer(self) -> FixedEndpointer[Any, Any]:
        return FixedEndpointer([InstanceEndpoint(i, self.endpoint(i)) for i in sorted(self.behaviour)])

    def round_robin(self) -> RoundRobin[Any, Any]:
        return RoundRobin(self.endpointer())


class RecordingBalancer:
    """Hands out endpoints in a given order and records the `exclude` of every pick."""

    def __init__(self, script: Script, order: list[str], *, raise_after: int | None = None) -> None:
        self.script = script
        self.order = order
        self.excludes: list[set[str]] = []
        self.raise_after = raise_after

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint[Any, Any]:
        self.excludes.append(set(exclude))
        if self.raise_after is not None and len(self.excludes) > self.raise_after:
            raise NoEndpoints()
        instance = self.order[len(self.excludes) - 1]
        return InstanceEndpoint(instance, self.script.endpoint(instance))
