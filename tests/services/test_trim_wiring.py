"""trim's whole onion, in-process, through every transport."""

from __future__ import annotations

import logging

import grpc
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from kit import ratelimit
from kit.errors import RateLimited
from kit.metrics import Metrics
from kit.run import Serving
from support.onion import Served
from trimsvc import main as trimmain
from trimsvc.config import Config as TrimConfig
from trimsvc.pb import trim_pb2, trim_pb2_grpc


@pytest.mark.parametrize(("s", "want"), [("1 0 1", "101"), ("", ""), (" ü 日 ", "ü日"), ("a" * 3000, "a" * 3000)])
async def test_every_transport(trim: Served, s: str, want: str) -> None:
    stub = trim_pb2_grpc.TrimStub(trim.channel)
    assert (await stub.TrimSpace(trim_pb2.TrimRequest(s=s))).s == want
    response = await trim.http.post("/trim", json={"s": s})
    assert (response.status_code, response.json()) == (200, {"s": want})


BAD = [
    ("malformed JSON", b'{"s": ', 400),
    ("empty body", b"", 400),
    ("missing field", b"{}", 400),
    ("wrong type", b'{"s": 5}', 400),
    ("null", b'{"s": null}', 400),
    ("over the limit", b'{"s": "' + b"x" * 5000 + b'"}', 413),
]


@pytest.mark.parametrize(("case", "body", "status"), BAD, ids=[case[0] for case in BAD])
async def test_bad_http_input(trim: Served, case: str, body: bytes, status: int) -> None:
    response = await trim.http.post("/trim", content=body)
    assert response.status_code == status
    assert response.json()["error"]


async def test_bad_grpc_input(trim: Served) -> None:
    call = trim.channel.unary_unary("/pb.Trim/TrimSpace", None, None)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call(b"\x0a\xff")  # a length that runs past the end
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_health_docs_metrics(trim: Served) -> None:
    assert (await trim.http.get("/health")).status_code == 200
    assert (await trim.http.get("/openapi.json")).json()["paths"]["/trim"]["post"]["responses"]["413"]
    await trim.http.post("/trim", json={"s": "a"})
    assert (
        'kit_requests_total{method="TrimSpace",outcome="ok",service="trim",transport="http"} 1.0'
        in (await trim.http.get("/metrics")).text
    )


async def test_rate_limit_from_config_refuses_and_is_counted() -> None:
    cfg = TrimConfig(ratelimits={"TrimSpace": ratelimit.Config(total=ratelimit.Limit(rate=0.001, burst=1))})
    metrics = Metrics(CollectorRegistry(), service="trim")
    onion = trimmain.build(cfg, metrics=metrics, serving=Serving(), logger=logging.getLogger("test.trim"))

    assert await onion.endpoints.trim_space("a b") == "ab"
    with pytest.raises(RateLimited):
        await onion.endpoints.trim_space("a b")
    text = generate_latest(metrics.registry).decode()
    assert 'kit_ratelimit_rejected_total{method="TrimSpace",service="trim"} 1.0' in text
