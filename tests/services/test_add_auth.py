"""add with authentication on, through its real `build`: HTTP 401 (with `WWW-Authenticate`) and 403, gRPC
UNAUTHENTICATED and PERMISSION_DENIED, and the per-client rate limit keyed on the verified identity, never on an
`x-api-key` the caller makes up. About 1 s."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncIterator

import grpc
import httpx
import jwt
import pytest
from prometheus_client import CollectorRegistry

from addsvc import main as addmain
from addsvc.config import Config
from addsvc.pb import add_pb2, add_pb2_grpc
from kit import ratelimit
from kit.auth import AuthConfig
from kit.metrics import Metrics
from kit.run import Serving
from kit.sd import FixedInstancer
from kit.transport.grpc import start_server
from support.onion import Served
from trimsvc import client as trimclient

SECRET = "k" * 32
AUTH = AuthConfig(schemes=("jwt", "basic"), jwt_secret=SECRET, audience="add", scope="add", users={"ops": "pa55word"})


def bearer(sub: str = "alice", scope: str = "add") -> dict[str, str]:
    token = jwt.encode({"sub": sub, "aud": "add", "scope": scope, "exp": int(time.time()) + 60}, SECRET, "HS256")
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def add() -> AsyncIterator[Served]:
    limits = {"ADD_RATELIMIT_SUM_PER_CLIENT": "0.001/2"}
    cfg = Config(auth=AUTH, ratelimits={m: ratelimit.read_config("add", m, limits) for m in ("Sum", "Concat")})
    metrics = Metrics(CollectorRegistry(), service="add")
    trim_client = trimclient.new(FixedInstancer(()), policy=cfg.trim, metrics=metrics)
    serving = Serving()
    onion = addmain.build(cfg, trimmer=trim_client, metrics=metrics, serving=serving, logger=logging.getLogger("t"))
    serving.set(True)
    server, port = await start_server(onion.grpc_handlers, port=0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=onion.app), base_url="http://add") as http:
        yield Served(http, channel, f"127.0.0.1:{port}", metrics.registry)
    await channel.close(None)
    await server.stop(None)
    await trim_client.close()


async def test_http_answers_401_403_and_200(add: Served) -> None:
    missing = await add.http.post("/sum", json={"a": 1, "b": 2})
    assert (missing.status_code, missing.json()) == (401, {"error": "credentials required"})
    assert missing.headers["www-authenticate"] == 'Bearer realm="kit", Basic realm="kit"'
    assert (await add.http.post("/sum", json={"a": 1, "b": 2}, headers=bearer(scope="other"))).status_code == 403
    assert (await add.http.post("/sum", json={"a": 1, "b": 2}, headers=bearer())).json() == {"v": 3}
    basic = {"authorization": "Basic " + base64.b64encode(b"ops:pa55word").decode()}
    assert (await add.http.post("/sum", json={"a": 1, "b": 2}, headers=basic)).json() == {"v": 3}
    assert (await add.http.get("/health")).status_code == 200  # operations stay open


async def test_grpc_answers_unauthenticated_permission_denied_and_ok(add: Served) -> None:
    stub = add_pb2_grpc.AddStub(add.channel)
    request = add_pb2.SumRequest(a=1, b=2)
    for metadata, code in (
        ((), grpc.StatusCode.UNAUTHENTICATED),
        (bearer(scope="x"), grpc.StatusCode.PERMISSION_DENIED),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Sum(request, metadata=tuple(dict(metadata).items()), timeout=5)
        assert caught.value.code() is code
    assert (await stub.Sum(request, metadata=tuple(bearer().items()), timeout=5)).v == 3


async def test_the_rate_limit_keys_on_the_identity_not_on_an_api_key(add: Served) -> None:
    # Two requests of burst per identity; a fresh x-api-key each time does not buy a fresh bucket.
    statuses = [
        (
            await add.http.post("/sum", json={"a": 1, "b": 2}, headers={**bearer("mallory"), "x-api-key": f"k{i}"})
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
    assert (await add.http.post("/sum", json={"a": 1, "b": 2}, headers=bearer("alice"))).status_code == 200
