"""A FastAPI application whose every error, the framework's own included, is an `{"error": "..."}` JSON answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kit.errors import KitError, mark_logged
from kit.transport.http.body import JSON_MEDIA_TYPE
from kit.transport.http.describe import describe_errors
from kit.transport.http.docs import mount_docs
from kit.transport.http.error_encoder import default_error_encoder
from kit.transport.http.fast import KitApp


def new_app(*, title: str, version: str, description: str = "") -> KitApp:
    """Makes the FastAPI app (a `KitApp`, whose endpoint routes skip FastAPI's machinery) a service's routes go
    on, with `/openapi.json`, and `/docs` and `/redoc` that work offline (kit.transport.http.docs).

    Errors outside the kit's routes also answer `{"error": ...}`: 404 and 405 (with `Allow`) keep their status,
    FastAPI's request validation is a 400 naming the field, a `kit.errors` class raised by any route gets its
    usual status, and anything else is a 500 `internal error`, whose traceback goes to the server's log only.
    """
    app = KitApp(
        title=title,
        version=version,
        description=description,
        # The kit traces with the tracer it is handed and counts with its own metrics; FastAPI's own telemetry
        # would only ask, on every request, whether a global OpenTelemetry provider has appeared.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url=None,
        redoc_url=None,
        # `POST /sum/` is a 404, not a 307 whose Location is built from the client's Host header.
        redirect_slashes=False,
        exception_handlers={
            HTTPException: _http_exception,
            RequestValidationError: _validation_error,
            KitError: _kit_error,
            Exception: _unhandled,
        },
    )
    mount_docs(app)
    return app


def report_refusals(app: FastAPI, on_refused: Callable[[int, str], None]) -> None:
    """Tells `on_refused` of each request the app refuses outside its routes (404, 405, FastAPI's validation), with
    its status and message, so that those too are counted and logged."""
    app.state.kit_on_refused = on_refused


def _refused(request: Request, status: int, message: str) -> None:
    on_refused = getattr(request.app.state, "kit_on_refused", None)
    if on_refused is not None:
        on_refused(status, message)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps({"error": message}), status, headers, JSON_MEDIA_TYPE)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else HTTPStatus(exc.status_code).phrase
    _refused(request, exc.status_code, detail)
    return _error(exc.status_code, detail, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message = describe_errors(list(exc.errors()), strip_prefix=("body",))
    _refused(request, 400, message)
    return _error(400, message)


async def _kit_error(request: Request, exc: Exception) -> Response:
    status, body, headers = default_error_encoder(exc)
    return Response(orjson.dumps(body), status, headers, JSON_MEDIA_TYPE)


async def _unhandled(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception after this answer is sent, so the server logs it with its traceback:
    # mark it logged here, or the encoder would log it a second time.
    mark_logged(exc)
    return await _kit_error(request, exc)
