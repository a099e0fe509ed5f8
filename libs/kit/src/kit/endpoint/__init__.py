"""Endpoints, middlewares and request-scoped data: the layer every other part of the kit builds on."""

from kit.endpoint.context import (
    API_KEY_HEADER,
    REQUEST_ID_HEADER,
    client,
    deadline,
    new_request_id,
    remaining,
    request_id,
    request_scope,
    sanitize_request_id,
    transport,
)
from kit.endpoint.endpoint import (
    INT64_MAX,
    INT64_MIN,
    AnyEndpoint,
    Endpoint,
    MethodMiddleware,
    Middleware,
    Req,
    Resp,
    chain,
    nop,
)

__all__ = [
    "API_KEY_HEADER",
    "INT64_MAX",
    "INT64_MIN",
    "REQUEST_ID_HEADER",
    "AnyEndpoint",
    "Endpoint",
    "MethodMiddleware",
    "Middleware",
    "Req",
    "Resp",
    "chain",
    "client",
    "deadline",
    "new_request_id",
    "nop",
    "remaining",
    "request_id",
    "request_scope",
    "sanitize_request_id",
    "transport",
]
