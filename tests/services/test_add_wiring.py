"""add's whole onion, in-process, every method through every transport (with a real trim behind Concat)."""

from __future__ import annotations

import grpc
import pytest

from addsvc.pb import add_pb2, add_pb2_grpc
from kit.endpoint import INT64_MAX
from support.onion import Served

TOO_LONG_80 = "result too long: 80 characters, the maximum is 64"
NOT_A_STRING_CASES = ("wrong type", "bool for int", "float for int", "beyond int64", "far beyond int64")


@pytest.mark.parametrize(
    ("path", "body", "status", "want"),
    [
        ("/sum", {"a": 1, "b": 2}, 200, {"v": 3}),
        ("/sum", {"a": -(2**63), "b": INT64_MAX}, 200, {"v": -1}),
        ("/sum", {"a": INT64_MAX, "b": 1}, 400, {"error": "integer overflow"}),
        ("/concat", {"a": "1 0 1", "b": "2"}, 200, {"v": "1012"}),
        ("/concat", {"a": " ü ", "b": "日 本"}, 200, {"v": "ü日本"}),
        (
            "/concat",
            {"a": "x" * 40, "b": "y" * 40},
            400,
            {"error": "result too long: 80 characters, the maximum is 64"},
        ),
    ],
)
async def test_http(add: Served, path: str, body: object, status: int, want: object) -> None:
    response = await add.http.post(path, json=body)
    assert (response.status_code, response.json()) == (status, want)


async def test_grpc(add: Served) -> None:
    stub = add_pb2_grpc.AddStub(add.channel)
    assert (await stub.Sum(add_pb2.SumRequest(a=1, b=2))).v == 3
    overflow = await stub.Sum(add_pb2.SumRequest(a=INT64_MAX, b=1))
    assert (overflow.v, overflow.err) == (0, "integer overflow")
    assert (await stub.Concat(add_pb2.ConcatRequest(a="1 0 1", b="2"))).v == "1012"
    too_long = await stub.Concat(add_pb2.ConcatRequest(a="x" * 40, b="y" * 40))
    assert too_long.err == "result too long: 80 characters, the maximum is 64"


async def test_health_metrics_and_docs(add: Served) -> None:
    assert (await add.http.get("/health")).json() == {"status": "serving"}
    await add.http.post("/concat", json={"a": "a b", "b": "c"})
    metrics = (await add.http.get("/metrics")).text
    assert 'kit_requests_total{method="Concat",outcome="ok",service="add",transport="http"} 1.0' in metrics
    assert 'kit_client_requests_total{endpoint="' in metrics
    assert "add_characters_concatenated_total 3.0" in metrics
    assert (await add.http.get("/docs")).status_code == 200
    spec = (await add.http.get("/openapi.json")).json()
    assert set(spec["paths"]["/concat"]["post"]["responses"]) >= {"200", "400", "413", "429", "500", "503", "504"}


LONG = "z" * 3000
BAD_HTTP = [
    ("malformed JSON", b'{"a": 1,', 400, "malformed JSON"),
    ("empty body", b"", 400, ""),
    ("not an object", b"[1, 2]", 400, ""),
    ("missing field", b'{"a": 1}', 400, "b"),
    ("wrong type", b'{"a": "1", "b": 2}', 400, "a"),
    ("bool for int", b'{"a": true, "b": 2}', 400, "a"),
    ("float for int", b'{"a": 1.5, "b": 2}', 400, "a"),
    ("beyond int64", b'{"a": 9223372036854775808, "b": 0}', 400, "a"),
    ("far beyond int64", b'{"a": 1' + b"0" * 40 + b', "b": 0}', 400, "a"),
    ("invalid UTF-8", b'{"a": "\xff", "b": 1}', 400, ""),
    ("over the limit", b'{"a": 1, "b": 2, "pad": "' + b"p" * 5000 + b'"}', 413, ""),
]


@pytest.mark.parametrize(("case", "body", "status", "mentions"), BAD_HTTP, ids=[case[0] for case in BAD_HTTP])
@pytest.mark.parametrize("path", ["/sum", "/concat"])
async def test_bad_http_input_gets_a_clear_error(
    add: Served, path: str, case: str, body: bytes, status: int, mentions: str
) -> None:
    if path == "/concat" and case in (
        "wrong type",
        "bool for int",
        "float for int",
        "beyond int64",
        "far beyond int64",
    ):
        body = body.replace(b'"b": 2', b'"b": "x"').replace(b'"b": 0', b'"b": "x"')
        if case == "wrong type":
            body = b'{"a": 1, "b": "x"}'
    response = await add.http.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    error = response.json()["error"]
    assert isinstance(error, str) and error
    assert mentions in error
    assert "Traceback" not in response.text


async def test_long_strings_are_served_or_refused_cleanly(add: Served) -> None:
    response = await add.http.post("/concat", json={"a": LONG, "b": ""})
    assert response.status_code == 400
    assert response.json() == {"error": "result too long: 3000 characters, the maximum is 64"}


@pytest.mark.parametrize("method", ["Sum", "Concat"])
async def test_bad_grpc_input_gets_invalid_argument(add: Served, method: str) -> None:
    call = add.channel.unary_unary(f"/pb.Add/{method}", None, None)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call(b"\xff\xff\xff")  # not a protobuf message
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_oversized_grpc_message_is_refused(add: Served) -> None:
    stub = add_pb2_grpc.AddStub(add.channel)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Concat(add_pb2.ConcatRequest(a="a" * (2 * 1024 * 1024), b=""))
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
