"""What the in-process service fixtures hand to tests."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import httpx
from prometheus_client import CollectorRegistry


@dataclass
class Served:
    """One service's onion: an HTTP client on its ASGI app and a channel to its gRPC server."""

    http: httpx.AsyncClient
    channel: grpc.aio.Channel
    grpc_address: str
    registry: CollectorRegistry
