"""The gRPC server adapter: turns an Endpoint into a grpc.aio unary method (`kit.transport.grpc.service` groups
methods into a service handler).

Each call runs inside `kit.endpoint.request_scope`, so the endpoint and every client it calls see the caller's
request id and the caller's deadline. grpc.aio runs every call in its own task and cancels that task when the
caller cancels or its deadline passes, so an endpoint nobody waits for any more stops at its next `await`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar
from urllib.parse import unquote

import grpc
from google.protobuf.message import DecodeError, Message

from kit.endpoint import REQUEST_ID_HEADER, Endpoint, Rejected, Req, Resp, request_scope
from kit.errors import BusinessError, InvalidArgument, as_kit_error, is_logged
from kit.transport.deadline import call_within_deadline
from kit.transport.grpc.errors import details, to_status, trailing_metadata

AUTHORIZATION_KEY = "authorization"
"""The metadata key carrying credentials (`Bearer <jwt>`, `Basic <base64>`), as HTTP's header."""

PbReq = TypeVar("PbReq", bound=Message)
PbResp = TypeVar("PbResp", bound=Message)

ServicerContext = grpc.aio.ServicerContext[Any, Any]

_log = logging.getLogger(__name__)


def unary(
    endpoint: Endpoint[Req, Resp],
    *,
    request_type: type[PbReq],
    decode: Callable[[PbReq], Req],
    encode: Callable[[Resp], PbResp],
    encode_business_error: Callable[[BusinessError], PbResp] | None = None,
    timeout: float | None = None,
    on_rejected: Rejected | None = None,
) -> grpc.RpcMethodHandler[Any, Any]:
    """Serves `endpoint` as a unary-unary gRPC method.

    `decode` turns the protobuf request into the endpoint's request (raising InvalidArgument for bad input),
    `encode` the endpoint's response into the protobuf reply. With `encode_business_error`, a BusinessError
    becomes an OK reply (go-kit's addsvc puts it in the reply's `err`); without it, INVALID_ARGUMENT. `timeout`
    caps the time one call may take, on top of the caller's own deadline. A call refused while decoding never
    reaches the endpoint's middlewares: `on_rejected` is told of it, to count and log it.
    """
    parse = request_type.FromString

    async def handle(raw: bytes, context: ServicerContext) -> Message:
        request_id, caller, authorization = _caller(context)
        limit = _min(timeout, context.time_remaining())
        with request_scope(
            request_id=request_id, timeout=limit, transport="grpc", client=caller, authorization=authorization
        ) as rid:
            # The id goes back in the trailers, which are sent with the status anyway: initial metadata of its
            # own would cost a write and a poller wakeup of its own on every call.
            echo = ((REQUEST_ID_HEADER, rid),)
            context.set_trailing_metadata(echo)
            try:
                request = decode(_parse(parse, raw))
            except Exception as exc:
                if on_rejected is not None:
                    await on_rejected(exc)
                await _abort(context, exc, echo)
            try:
                if timeout is None:
                    # The caller's deadline needs no timer here: grpc cancels this task when it passes.
                    response = await endpoint(request)
                else:
                    response = await call_within_deadline(endpoint, request)
                return encode(response)
            except BusinessError as exc:
                if encode_business_error is not None:
                    try:
                        return encode_business_error(exc)
                    except Exception as bug:
                        await _abort(context, bug, echo)
                await _abort(context, exc, echo)
            except Exception as exc:
                await _abort(context, exc, echo)

    return grpc.unary_unary_rpc_method_handler(handle, response_serializer=_serialize)


async def _abort(context: ServicerContext, exc: Exception, echo: tuple[tuple[str, str], ...]) -> NoReturn:
    status = to_status(exc)
    if as_kit_error(exc).log_level >= logging.ERROR and not is_logged(exc):
        _log.error("grpc endpoint failed", exc_info=exc)
    # abort's trailers replace those set before: the request id goes along with the error's own.
    await context.abort(status, details(exc), (*trailing_metadata(exc), *echo))


def _parse(parse: Callable[[bytes], PbReq], raw: bytes) -> PbReq:
    try:
        return parse(raw)
    except DecodeError as exc:
        raise InvalidArgument("malformed request message") from exc


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def _caller(context: ServicerContext) -> tuple[str | None, str, str | None]:
    """The incoming request id (if any), who is calling (its peer host; `kit.auth` replaces it with a verified
    identity) and the `authorization` metadata, unverified."""
    request_id: str | None = None
    authorization: str | None = None
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str):
            request_id = value
        elif key == AUTHORIZATION_KEY and isinstance(value, str):
            authorization = value
    return request_id, _peer_host(context.peer()), authorization


@functools.lru_cache(maxsize=4096)
def _peer_host(peer: str) -> str:
    """`ipv4:127.0.0.1:5000` -> `127.0.0.1`, `ipv6:%5B::1%5D:5000` -> `::1`; other peers stay as they are.
    Cached: a peer (its port included) stays the same for every call of a connection."""
    kind, _, address = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return peer
    host = unquote(address).rpartition(":")[0]
    return host.strip("[]") or peer


def _min(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
