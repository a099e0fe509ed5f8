"""Requests refused before their endpoint runs are counted and logged like served ones: while decoding (malformed,
missing field, too large) through the method's own metrics and log line, and outside any route (404, 405) under
`method="unrouted"`. About 1 s."""

from __future__ import annotations

import logging

import grpc
import httpx
import pytest
from prometheus_client import CollectorRegistry

from addsvc.pb import add_pb2
from kit import serve as kitserve
from kit.metrics import Metrics
from kit.transport.http import add_health_route, new_app, report_refusals
from support.onion import Served


def count(registry: CollectorRegistry, method: str, transport: str, outcome: str, service: str = "add") -> float:
    labels = {"service": service, "method": method, "transport": transport, "outcome": outcome}
    return registry.get_sample_value("kit_requests_total", labels) or 0.0


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "request"]


@pytest.mark.parametrize(
    ("content", "status", "outcome"),
    [
        (b'{"a": 1, "b": ', 400, "invalid_argument"),
        (b'{"a": 1}', 400, "invalid_argument"),
        (b'{"a": "x" , "b": 1}', 400, "invalid_argument"),
        (b'{"a": 1, "b": 2, "pad": "' + b"x" * 5000 + b'"}', 413, "too_large"),
    ],
)
async def test_a_request_refused_while_decoding_is_counted_and_logged(
    add: Served, caplog: pytest.LogCaptureFixture, content: bytes, status: int, outcome: str
) -> None:
    caplog.set_level(logging.INFO)
    response = await add.http.post("/sum", content=content)
    assert response.status_code == status
    assert count(add.registry, "Sum", "http", outcome) == 1
    [line] = request_lines(caplog)
    assert (line.method, line.outcome, line.transport) == ("Sum", outcome, "http")  # type: ignore[attr-defined]
    assert line.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]


async def test_a_grpc_call_refused_while_decoding_is_counted(add: Served) -> None:
    raw = add.channel.unary_unary("/pb.Add/Sum", lambda b: b, add_pb2.SumReply.FromString)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\xff\xff\xff", timeout=5)  # not a protobuf message
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert count(add.registry, "Sum", "grpc", "invalid_argument") == 1


async def test_requests_outside_every_route_are_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    metrics = Metrics(CollectorRegistry(), service="add")
    app = new_app(title="t", version="1")
    add_health_route(app, lambda: True)  # GET only
    report_refusals(app, kitserve.refusals(service="add", metrics=metrics, logger=logging.getLogger("t")))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/nowhere")).status_code == 404
        assert (await http.post("/health")).status_code == 405
    assert count(metrics.registry, kitserve.UNROUTED, "http", "not_found") == 1
    assert count(metrics.registry, kitserve.UNROUTED, "http", "method_not_allowed") == 1
    assert [(r.outcome, r.status) for r in request_lines(caplog)] == [  # type: ignore[attr-defined]
        ("not_found", 404),
        ("method_not_allowed", 405),
    ]
