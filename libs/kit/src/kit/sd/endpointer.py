"""Endpointers: the endpoints a balancer picks from, one per instance of a service.

`Endpointer` is the role a balancer reads; `FixedEndpointer` holds endpoints that never change. The one that follows
an instancer, `DefaultEndpointer`, is in `kit.sd.cache`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol

from kit.endpoint import Endpoint, Req, Resp


@dataclass(frozen=True, slots=True)
class InstanceEndpoint(Generic[Req, Resp]):
    """An endpoint together with the instance it calls, so balancers and retries can tell instances apart."""

    instance: str
    endpoint: Endpoint[Req, Resp]


class Endpointer(Protocol[Req, Resp]):
    """The current endpoints of a service, for a balancer to pick from."""

    def endpoints(self) -> Sequence[InstanceEndpoint[Req, Resp]]:
        """The endpoints to use now, ordered by instance; empty when none is known."""
        ...

    @property
    def discovery_error(self) -> Exception | None:
        """Why service discovery cannot say what the instances are right now (None while it can)."""
        ...


class FixedEndpointer(Generic[Req, Resp]):
    """An endpointer over endpoints that never change: static configuration and tests."""

    def __init__(self, endpoints: Sequence[InstanceEndpoint[Req, Resp]]) -> None:
        self._endpoints = tuple(endpoints)

    def endpoints(self) -> tuple[InstanceEndpoint[Req, Resp], ...]:
        return self._endpoints

    @property
    def discovery_error(self) -> Exception | None:
        return None
