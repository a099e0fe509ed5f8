"""The balancer role: choose one endpoint of a service for one call, avoiding the instances a retry already tried
and, when given `Outliers`, the instances that are failing or slow, but never all of them (the pick
round robin and random share is `kit.sd.lb.choose`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from kit.endpoint import Req, Resp
from kit.errors import Unavailable
from kit.sd.endpointer import InstanceEndpoint


class NoEndpoints(Unavailable):
    """The balancer has no endpoint to offer: the service has no known instance, perhaps because service discovery
    cannot be reached (`discovery_error`), which the caller is told in its own terms."""

    def __init__(self, message: str = "no endpoints available", *, discovery_error: Exception | None = None) -> None:
        if discovery_error is not None:
            message = f"{message}; service discovery failed: {type(discovery_error).__name__}: {discovery_error}"
        super().__init__(message)
        self.discovery_error = discovery_error
        self.reason = "service discovery cannot be reached" if discovery_error is not None else "no instance is running"


class Balancer(Protocol[Req, Resp]):
    """Chooses the endpoint for the next call."""

    def pick(self, exclude: Collection[str] = ()) -> InstanceEndpoint[Req, Resp]:
        """An endpoint whose instance is not in `exclude`, unless every instance is; raises NoEndpoints."""
        ...
