"""The client adapter: a remote HTTP route as an Endpoint, its error answers turned back into `kit.errors`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from opentelemetry.trace import Tracer

from kit import tracing
from kit.endpoint import REQUEST_ID_HEADER, Endpoint, Req, Resp, remaining, request_id
from kit.errors import ConnectionFailed, DeadlineExceeded, Internal, KitError, Unavailable
from kit.transport.http.error_decoder import error_from_response

if TYPE_CHECKING:
    # Imported when a call fails, not with the module: a service that only serves HTTP need not load httpx
    # (about 1.5 MB), and whoever calls `client_endpoint` has imported it already to make the client.
    import httpx


def client_endpoint(
    client: httpx.AsyncClient,
    path: str,
    *,
    encode: Callable[[Req], Any],
    decode: Callable[[Any], Resp],
    method: str = "POST",
    timeout: float | None = None,
    tracer: Tracer | None = None,
) -> Endpoint[Req, Resp]:
    """An endpoint that sends its request as JSON to `method path` on `client` (whose `base_url` names the
    instance) and decodes the JSON answer.

    It sends the current request id in `x-request-id` and bounds the call by the sooner of `timeout` and the
    request's remaining deadline (as httpx's timeout and as a bound on the whole call). Answers map back to
    `kit.errors`, the body's `error` message kept: 400 -> InvalidArgument, or BusinessError when the answer's
    `kit-error` header says `business` (go-kit's addsvc puts business refusals on 400 too; neither counts as a
    failure), 413 -> PayloadTooLarge, 429 -> RateLimited with `Retry-After`, 503 -> Unavailable, 408 and 504 ->
    DeadlineExceeded, anything else -> Internal. A refused, reset
    or hung-up connection is ConnectionFailed, an httpx timeout DeadlineExceeded, any other httpx error Unavailable.

    With a `tracer`, each call runs in a CLIENT span `METHOD path` whose context goes out in the `traceparent`
    header (see `kit.tracing.client_span`); without one, the endpoint does no tracing work at all.
    """
    method = method.upper()
    span_name = f"{method} {path}"
    span_attributes = {
        **tracing.http_attributes(method, path),
        **tracing.server_attributes(_instance(client.base_url)),
    }

    async def call(request: Req) -> Resp:
        budget = _budget(timeout, remaining())
        if budget is not None and budget <= 0:
            raise DeadlineExceeded("deadline exceeded before the call was sent")
        headers = {"content-type": "application/json"}
        rid = request_id()
        if rid is not None:
            headers[REQUEST_ID_HEADER] = rid
        content = orjson.dumps(encode(request))
        if tracer is None:
            response = await _checked_send(client, method, path, content, headers, budget)
            return _answer(response, decode, method, path)
        with tracing.client_span(tracer, span_name, attributes=span_attributes) as (span, carrier):
            headers.update(carrier)
            response = await _checked_send(client, method, path, content, headers, budget)
            tracing.set_http_status(span, response.status_code, server=False)
            return _answer(response, decode, method, path)

    return call


async def _checked_send(
    client: httpx.AsyncClient, method: str, path: str, content: bytes, headers: dict[str, str], budget: float | None
) -> httpx.Response:
    """Sends the request; a transport failure becomes the kit error it stands for."""
    import httpx

    try:
        return await _send(client, method, path, content, headers, budget)
    except httpx.TimeoutException as exc:
        raise DeadlineExceeded(f"{method} {path}: timed out") from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        # refused, reset, or the instance hung up without answering: the instance itself is in trouble
        raise ConnectionFailed(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
    except httpx.RequestError as exc:
        raise Unavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc


def _answer(response: httpx.Response, decode: Callable[[Any], Resp], method: str, path: str) -> Resp:
    """The decoded answer of a successful response; the kit error an error answer stands for."""
    if response.is_success:
        return _decode_success(response, decode, method, path)
    raise error_from_response(response)


def _instance(url: httpx.URL) -> str | None:
    """The `host:port` a client's base URL names (the scheme's default port when it names none), if any."""
    if not url.host:
        return None
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.host if port is None else f"{url.host}:{port}"


def _budget(timeout: float | None, left: float | None) -> float | None:
    if timeout is None:
        return left
    return timeout if left is None else min(timeout, left)


async def _send(
    client: httpx.AsyncClient, method: str, path: str, content: bytes, headers: dict[str, str], budget: float | None
) -> httpx.Response:
    """Sends the request; with a budget, httpx's timeout bounds each phase and `asyncio.timeout` the whole call."""
    if budget is None:
        return await client.request(method, path, content=content, headers=headers)
    timer = asyncio.timeout(budget)
    try:
        async with timer:
            return await client.request(method, path, content=content, headers=headers, timeout=budget)
    except TimeoutError:
        if timer.expired():
            raise DeadlineExceeded(f"{method} {path}: deadline exceeded") from None
        raise


def _decode_success(response: httpx.Response, decode: Callable[[Any], Resp], method: str, path: str) -> Resp:
    try:
        return decode(orjson.loads(response.content))
    except KitError:
        raise
    except Exception as exc:
        raise Internal(f"{method} {path}: malformed answer: {type(exc).__name__}: {exc}") from exc
