"""HTTP transport: endpoints served as FastAPI routes speaking JSON, and remote routes called as endpoints.

Server: `new_app` makes the app, `add_route` puts an endpoint on it (body limit, orjson, request scope, deadline,
`{"error": ...}` answers), `add_health_route` and `add_metrics_route` add the operational routes. Client:
`client_endpoint` turns a route of another service into an Endpoint, errors mapped back to `kit.errors`.
"""

from kit.transport.http.app import new_app, report_refusals
from kit.transport.http.client import client_endpoint
from kit.transport.http.decode import DecodeRequest, EncodeResponse, Int64, model_decoder
from kit.transport.http.describe import describe_errors
from kit.transport.http.error_decoder import error_from_response
from kit.transport.http.error_encoder import ErrorBody, ErrorEncoder, default_error_encoder
from kit.transport.http.fast import Shed
from kit.transport.http.health import HealthBody, add_health_route
from kit.transport.http.metrics import add_metrics_route
from kit.transport.http.server import RawRoute, add_route
from kit.transport.http.wire import HttpLimits, OnRefused, limited_protocol

__all__ = [
    "DecodeRequest",
    "EncodeResponse",
    "ErrorBody",
    "ErrorEncoder",
    "HealthBody",
    "HttpLimits",
    "Int64",
    "OnRefused",
    "RawRoute",
    "Shed",
    "add_health_route",
    "add_metrics_route",
    "add_route",
    "client_endpoint",
    "default_error_encoder",
    "describe_errors",
    "error_from_response",
    "limited_protocol",
    "model_decoder",
    "new_app",
    "report_refusals",
]
