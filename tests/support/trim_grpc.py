"""trim's one gRPC method in the kit's transport tests: its path, and a client endpoint for it that takes and
answers plain strings."""

from __future__ import annotations

from typing import Any

import grpc

from kit.endpoint import Endpoint
from kit.transport.grpc import client_endpoint
from trimsvc.pb.trim_pb2 import TrimRequest, TrimResponse

TRIM = "/pb.Trim/TrimSpace"


def trim_endpoint(channel: grpc.aio.Channel, **options: Any) -> Endpoint[str, str]:
    """A `client_endpoint` for /pb.Trim/TrimSpace on `channel`; `options` (timeout, tracer, instance) go to it."""
    return client_endpoint(
        channel,
        TRIM,
        request_type=TrimRequest,
        response_type=TrimResponse,
        encode=lambda s: TrimRequest(s=s),
        decode=lambda pb: pb.s,
        **options,
    )
