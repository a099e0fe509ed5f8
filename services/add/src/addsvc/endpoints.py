"""add's endpoint layer: one Endpoint per method over frozen request/response values, grouped in a Set."""

from __future__ import annotations

from dataclasses import dataclass

from addsvc.service import Service
from kit.endpoint import Endpoint


@dataclass(frozen=True, slots=True)
class SumRequest:
    """Asks for a + b."""

    a: int
    b: int


@dataclass(frozen=True, slots=True)
class SumResponse:
    """The sum."""

    v: int


@dataclass(frozen=True, slots=True)
class ConcatRequest:
    """Asks for trim(a) followed by trim(b)."""

    a: str
    b: str


@dataclass(frozen=True, slots=True)
class ConcatResponse:
    """The concatenation."""

    v: str


def make_sum_endpoint(svc: Service) -> Endpoint[SumRequest, SumResponse]:
    """Adapts Service.sum to an Endpoint."""

    async def sum_endpoint(request: SumRequest) -> SumResponse:
        return SumResponse(v=await svc.sum(request.a, request.b))

    return sum_endpoint


def make_concat_endpoint(svc: Service) -> Endpoint[ConcatRequest, ConcatResponse]:
    """Adapts Service.concat to an Endpoint."""

    async def concat_endpoint(request: ConcatRequest) -> ConcatResponse:
        return ConcatResponse(v=await svc.concat(request.a, request.b))

    return concat_endpoint


@dataclass(frozen=True, slots=True)
class Set:
    """Every endpoint of add, each wrapped in its middlewares: what the transports serve."""

    sum_endpoint: Endpoint[SumRequest, SumResponse]
    concat_endpoint: Endpoint[ConcatRequest, ConcatResponse]


__all__ = [
    "ConcatRequest",
    "ConcatResponse",
    "Set",
    "SumRequest",
    "SumResponse",
    "make_concat_endpoint",
    "make_sum_endpoint",
]
