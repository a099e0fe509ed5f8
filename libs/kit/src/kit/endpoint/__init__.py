"""Endpoints, middlewares and request-scoped data: the layer every other part of the kit builds on."""

from kit.endpoint.context import (
    authenticated,
    authorization,
    client,
    deadline,
    remaining,
    request_id,
    request_scope,
    transport,
)
from kit.endpoint.endpoint import (
    INT64_MAX,
    INT64_MIN,
    AnyEndpoint,
    Endpoint,
    Middleware,
    Rejected,
    Req,
    Resp,
    chain,
    nop,
)
from kit.endpoint.request_ids import REQUEST_ID_HEADER, new_request_id, sanitize_request_id

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "REQUEST_ID_HEADER",
    "AnyEndpoint",
    "Endpoint",
    "Middleware",
    "Rejected",
    "Req",
    "Resp",
    "authenticated",
    "authorization",
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
