"""The server adapter: one endpoint becomes one FastAPI route that reads the body with a limit, decodes it, calls
the endpoint inside a request scope (request id, deadline, client) and answers JSON, errors included. On a
`KitApp` (what `new_app` makes) the same handler also answers straight from ASGI (see `kit.transport.http.fast`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Coroutine, Mapping
from typing import Any, cast

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from opentelemetry.trace import Tracer
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from kit import tracing
from kit.endpoint import REQUEST_ID_HEADER, Endpoint, Rejected, Req, Resp, request_scope
from kit.transport.deadline import call_within_deadline
from kit.transport.http.body import JSON_MEDIA_TYPE, read_body
from kit.transport.http.decode import DecodeRequest, EncodeResponse
from kit.transport.http.error_encoder import ErrorEncoder, default_error_encoder
from kit.transport.http.fast import Answer, KitApp, ReadBody, Respond, Shed
from kit.transport.http.json_body import parse_json
from kit.transport.http.openapi import Refusals, error_responses, request_body_extra

_BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class RawRoute(APIRoute):
    """An APIRoute whose endpoint already takes the Request and returns the Response: FastAPI routes to it and
    documents it, but calls it directly, with no dependency solving and no response model serialization."""

    def get_route_handler(self) -> Handler:
        return cast(Handler, self.endpoint)


def add_route(
    app: FastAPI,
    path: str,
    endpoint: Endpoint[Req, Resp],
    *,
    decode: DecodeRequest[Req],
    encode: EncodeResponse[Resp],
    request_model: type[BaseModel],
    response_model: type[BaseModel],
    summary: str = "",
    method: str = "POST",
    max_body_bytes: int = 65536,
    error_encoder: ErrorEncoder = default_error_encoder,
    statuses: Collection[int] = (400, 413, 500),
    refusals: Refusals | None = None,
    operation_id: str | None = None,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    on_rejected: Rejected | None = None,
    shed: Shed | None = None,
) -> None:
    """Serves `endpoint` at `method path`.

    Per request: the body is read with a limit of `max_body_bytes` (413 beyond), parsed with orjson and turned into
    a request by `decode` (400 when it does not fit); the endpoint runs in a `kit.endpoint.request_scope` with the
    `x-request-id` header's id (made when absent), a deadline of `timeout` seconds (cancelled and answered 504 when
    it passes), the client key (the peer's host, replaced by the identity once `kit.auth` has verified one) and
    the `Authorization` header for `kit.auth` to verify; `encode` gives the JSON answer. Any exception
    is answered as `error_encoder` says. Every answer echoes the request id in `x-request-id`.

    `request_model` and `response_model` only document the route in OpenAPI, with `statuses` (plus 413, 500, and
    504 when there is a timeout) answered by `{"error": ...}`, and `refusals`, the business refusals a well-formed
    request can get, each in its status' description and as an example body. `operation_id` defaults to the
    path's words.
    A body-less method (GET, DELETE) with an empty body hands `None` to `decode`.

    With a `tracer`, each request runs in a SERVER span `METHOD path` that continues the trace of the caller's
    `traceparent` header (see `kit.tracing.server_span`); without one, the route does no tracing work at all.

    With `shed` (see `kit.transport.http.fast.Shed`), each request first passes that gate, before anything of it is
    read; the endpoint's own middlewares may still shed it later (the gate is the cheap, early copy of that rule).
    """
    method = method.upper()
    allows_empty = method in _BODYLESS_METHODS

    async def respond(headers: Mapping[str, str], peer: str | None, read: ReadBody) -> Answer:
        with request_scope(
            request_id=headers.get(REQUEST_ID_HEADER),
            timeout=timeout,
            transport="http",
            client=peer,
            authorization=headers.get("authorization"),
        ) as rid:
            decoded = False
            try:
                body = await read(max_body_bytes)
                value = None if allows_empty and not body else parse_json(body)
                call = decode(value)
                decoded = True
                content = orjson.dumps(encode(await call_within_deadline(endpoint, call)))
            except Exception as exc:
                if not decoded and on_rejected is not None:
                    await on_rejected(exc)
                status, error_body, extra = error_encoder(exc)
                return status, orjson.dumps(error_body), {REQUEST_ID_HEADER: rid, **extra}
        return 200, content, {REQUEST_ID_HEADER: rid}

    answer = respond if tracer is None else _traced(respond, tracer, method, path)

    async def route_handler(request: Request) -> Response:
        peer = request.client
        status, content, headers = await answer(
            request.headers, peer.host if peer is not None else None, functools.partial(read_body, request)
        )
        return Response(content, status, dict(headers), JSON_MEDIA_TYPE)

    if isinstance(app, KitApp):
        app.add_kit_route(method, path, answer, shed=shed)
    documented = set(statuses) | ({504} if timeout is not None else set())
    slug = "_".join(part for part in path.replace("-", "_").split("/") if part and "{" not in part) or "root"
    app.router.add_api_route(
        path,
        route_handler,
        methods=[method],
        name=slug,
        summary=summary or None,
        response_model=response_model,
        responses=error_responses(documented, refusals),
        operation_id=operation_id or (slug if method == "POST" else f"{slug}_{method.lower()}"),
        openapi_extra=request_body_extra(app, request_model, method=method),
        route_class_override=RawRoute,
    )


def _traced(respond: Respond, tracer: Tracer, method: str, path: str) -> Respond:
    """Runs `respond` in a SERVER span named after the route, its status from the answer's status code."""
    name = f"{method} {path}"
    attributes = tracing.http_attributes(method, path)

    async def traced(headers: Mapping[str, str], peer: str | None, read: ReadBody) -> Answer:
        with tracing.server_span(tracer, name, headers, attributes=attributes) as span:
            answer = await respond(headers, peer, read)
            tracing.set_http_status(span, answer[0], server=True)
            return answer

    return traced
