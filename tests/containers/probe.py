"""The container test's client, run where the containers' published ports are: inside the engine's network
namespace (`nsenter --net=... python -m containers.probe ...`), or on the host when the engine is the host's own.
It prints one JSON object; the test asserts on it.

  probe.py check --trims N [--targets] [--fake-trim] [--tokens-file F]
                             waits (bounded) for Consul to show add and N trims passing (and with --targets,
                             Prometheus to have every target up), then calls /sum, /concat, gRPC Sum and Concat;
                             with --fake-trim first the fake-trim attack on Consul: registers a `trim` with no
                             token and with a made-up one (statuses and the catalog's trims under "fake trim");
                             with --tokens-file (the stack's consul-tokens.json) what Consul knows of Prometheus'
                             token and what Prometheus says of its configuration (under "prometheus")
  probe.py load --seconds S --rate R   a bounded /concat load: R requests a second, at most 8 in flight
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import grpc
import httpx

from addsvc.pb import add_pb2, add_pb2_grpc
from integration.stack import LoadResult, passing

HOST = "127.0.0.1"


def _targets(prometheus: str) -> list[dict[str, str]]:
    """Prometheus' active targets: job, instance and health of each."""
    response = httpx.get(f"{prometheus}/api/v1/targets", params={"state": "active"}, timeout=5)
    response.raise_for_status()
    return [
        {"job": t["labels"].get("job", ""), "instance": t["labels"].get("instance", ""), "health": t["health"]}
        for t in response.json()["data"]["activeTargets"]
    ]


def _discovery(consul: str, prometheus: str) -> dict[str, Any]:
    try:
        return {
            "add": passing(consul, "add"),
            "trim": passing(consul, "trim"),
            "targets": _targets(prometheus),
        }
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return {"add": [], "trim": [], "targets": [], "error": repr(exc)}


def _settled(seen: dict[str, Any], trims: int, *, targets: bool) -> bool:
    if len(seen["add"]) != 1 or len(seen["trim"]) != trims:
        return False
    kit = [t for t in seen["targets"] if t["job"] == "kit"]
    return not targets or (len(kit) == trims + 1 and all(t["health"] == "up" for t in seen["targets"]))


def _calls(add_http: str, add_grpc: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with httpx.Client(base_url=add_http, timeout=5) as client:
        for path, body in (("/sum", {"a": 2, "b": 3}), ("/concat", {"a": "con tai", "b": "ners"})):
            response = client.post(path, json=body)
            out[path] = [response.status_code, response.json()]
    with grpc.insecure_channel(add_grpc) as channel:
        stub = add_pb2_grpc.AddStub(channel)
        out["grpc Sum"] = stub.Sum(add_pb2.SumRequest(a=2, b=3), timeout=5).v
        out["grpc Concat"] = stub.Concat(add_pb2.ConcatRequest(a="con tai", b="ners"), timeout=5).v
    return out


FAKE_TRIM = {"Name": "trim", "ID": "trim-evil", "Address": "127.0.0.1", "Port": 9, "Tags": ["grpc", "http"]}
"""A trim that would receive users' strings, registered through the agent API as anyone who reaches Consul could."""


def fake_trim(args: argparse.Namespace) -> dict[str, Any]:
    consul = f"http://{HOST}:{args.consul_port}"
    out: dict[str, Any] = {}
    for label, headers in (("no token", {}), ("made-up token", {"X-Consul-Token": str(uuid.uuid4())})):
        response = httpx.put(f"{consul}/v1/agent/service/register", json=FAKE_TRIM, headers=headers, timeout=5)
        out[label] = response.status_code
    catalog = httpx.get(f"{consul}/v1/catalog/service/trim", timeout=5)
    catalog.raise_for_status()
    out["catalog"] = sorted(entry["ServiceID"] for entry in catalog.json())
    return out


def prometheus_facts(consul: str, prometheus: str, tokens_file: str) -> dict[str, Any]:
    """The policies Consul gives Prometheus' token; whether Prometheus' loaded configuration presents a Consul token
    (Prometheus shows a set secret as `<secret>`); how many rule groups it loaded."""
    with open(tokens_file, encoding="utf-8") as tokens:
        token = json.load(tokens)["prometheus"]
    me = httpx.get(f"http://{consul}/v1/acl/token/self", headers={"X-Consul-Token": token}, timeout=5)
    me.raise_for_status()
    config = httpx.get(f"{prometheus}/api/v1/status/config", timeout=5)
    config.raise_for_status()
    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=5)
    rules.raise_for_status()
    return {
        "token policies": sorted(policy["Name"] for policy in me.json()["Policies"]),
        "config has a token": "token: <secret>" in config.json()["data"]["yaml"],
        "rule groups": len(rules.json()["data"]["groups"]),
    }


def check(args: argparse.Namespace) -> dict[str, Any]:
    consul, prometheus = f"{HOST}:{args.consul_port}", f"http://{HOST}:{args.prometheus_port}"
    attack = fake_trim(args) if args.fake_trim else None
    started = time.monotonic()
    seen = _discovery(consul, prometheus)
    while not _settled(seen, args.trims, targets=args.targets) and time.monotonic() - started < args.timeout:
        time.sleep(0.5)
        seen = _discovery(consul, prometheus)
    seen["waited"] = round(time.monotonic() - started, 1)
    seen["calls"] = _calls(f"http://{HOST}:{args.add_http_port}", f"{HOST}:{args.add_grpc_port}")
    if args.tokens_file:
        seen["prometheus"] = prometheus_facts(consul, prometheus, args.tokens_file)
    if attack is not None:
        seen["fake trim"] = attack
    return seen


async def paced(url: str, *, rate: float, seconds: float, in_flight: int = 8) -> LoadResult:
    """POSTs to `url` at `rate` a second for `seconds`, at most `in_flight` at once, recording every answer.
    Paced rather than as fast as possible: on a busy 2-core machine a closed loop measures the machine, not the
    failover (integration.stack.load is that closed loop)."""
    result = LoadResult()
    gate = asyncio.Semaphore(in_flight)
    # the client waits longer than add's own deadline (ADD_REQUEST_TIMEOUT), so add's answer is what counts
    async with httpx.AsyncClient(timeout=15.0) as client:

        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    response = await client.post(url, json={"a": "a b", "b": "c"})
                except httpx.HTTPError as exc:
                    result.failures.append(f"transport: {exc!r}")
                    return
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status_code] += 1
                if response.status_code != 200:
                    result.failures.append(f"{response.status_code}: {response.text}")

        began = time.monotonic()
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return result


def load_concat(args: argparse.Namespace) -> dict[str, Any]:
    url = f"http://{HOST}:{args.add_http_port}/concat"
    result = asyncio.run(paced(url, rate=args.rate, seconds=args.seconds))
    latencies = sorted(result.latencies)
    return {
        "statuses": {str(k): v for k, v in result.statuses.items()},
        "failures": result.failures[:20],
        "failed": len(result.failures),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="probe.py")
    parser.add_argument("--add-http-port", type=int, default=8080)
    parser.add_argument("--add-grpc-port", type=int, default=8081)
    parser.add_argument("--consul-port", type=int, default=8500)
    parser.add_argument("--prometheus-port", type=int, default=9090)
    verbs = parser.add_subparsers(dest="verb", required=True)
    checking = verbs.add_parser("check")
    checking.add_argument("--trims", type=int, required=True)
    checking.add_argument("--timeout", type=float, default=60)
    checking.add_argument("--targets", action="store_true", help="also wait for every Prometheus target up")
    checking.add_argument("--fake-trim", action="store_true", help="first try registering a fake trim in Consul")
    checking.add_argument("--tokens-file", help="the stack's consul-tokens.json: check Prometheus' own token")
    loading = verbs.add_parser("load")
    loading.add_argument("--seconds", type=float, default=10)
    loading.add_argument("--rate", type=float, default=20)
    args = parser.parse_args(argv)
    result = check(args) if args.verb == "check" else load_concat(args)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
