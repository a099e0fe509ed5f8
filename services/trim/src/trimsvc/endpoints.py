"""trim's endpoint layer: one Endpoint per method over frozen request/response values, grouped in a Set."""

from __future__ import annotations

from dataclasses import dataclass

from kit.endpoint import Endpoint
from trimsvc.service import Service


@dataclass(frozen=True, slots=True)
class TrimRequest:
    """Asks TrimSpace to remove the spaces from `s`."""

    s: str


@dataclass(frozen=True, slots=True)
class TrimResponse:
    """The string without its spaces."""

    s: str


def make_trim_space_endpoint(svc: Service) -> Endpoint[TrimRequest, TrimResponse]:
    """Adapts Service.trim_space to an Endpoint."""

    async def trim_space(request: TrimRequest) -> TrimResponse:
        return TrimResponse(s=await svc.trim_space(request.s))

    return trim_space


@dataclass(frozen=True, slots=True)
class Set:
    """Every endpoint of trim. It satisfies Service too, so a Set of client endpoints is a trim service."""

    trim_space_endpoint: Endpoint[TrimRequest, TrimResponse]

    async def trim_space(self, s: str) -> str:
        return (await self.trim_space_endpoint(TrimRequest(s=s))).s


__all__ = ["Set", "TrimRequest", "TrimResponse", "make_trim_space_endpoint"]
