"""For each of issue 16's targets, where the time (or memory) goes and what would have to change to meet it: the
findings of the profiles in bench/results/profiles.md (callgrind instruction counts, repeatable on a busy machine;
py-spy and cProfile for the Python side). `make bench` prints the finding of every target it missed."""

from __future__ import annotations

PROFILES = "bench/results/profiles.md"

FINDINGS: dict[str, str] = {
    "/concat 64 conns: kit/go-kit req/s >= 0.25": (
        "add spends ~1.34M instructions on a /concat (callgrind, 1 connection): its HTTP request ~0.5M, and each "
        "of the two trim calls ~425k, of which a bare grpc.aio client call on uvloop is 242k and the kit's client "
        "chain (retry, round robin, breaker, per-instance metrics, deadline, request id) ~180k. Each trim call then "
        "costs a trim ~585k, of which a bare grpc.aio server on uvloop is 322k. To reach 0.25x go-kit, add's chain "
        "(request line, metrics, retry/breaker) would have to shrink by about half, or the two trim calls become one."
    ),
    "/concat 64 conns: kit p99 < 50 ms": (
        "p99 at 64 connections is queueing behind add's single CPU-bound event loop: it follows add's CPU per "
        "/concat (see the line above); at the machine's load it is no separate problem."
    ),
    "/concat 1 conn: kit/go-kit req/s >= 0.5": (
        "at one connection the four grpc.aio hops (2 client calls, 2 server calls) alone are ~1.1M instructions, "
        "more than go-kit's whole request; only a cheaper gRPC runtime than grpc.aio would reach 0.5x."
    ),
    "gRPC Sum 64 in flight: kit/fixed grpc.aio req/s >= 0.9": (
        "a kit gRPC call costs ~585k instructions where the bare uvloop grpc.aio server costs 322k: the request "
        "log line is about two thirds of the chain's 263k, metrics (histogram, counter, gauge: six locked value "
        "updates) a sixth, request scope, metadata and trailers the rest. 0.9x needs the chain under ~35k: a log "
        "line written off the request path (batched) and lock-free metric updates."
    ),
    "HTTP /sum 64 conns: kit/fixed uvicorn req/s >= 0.8": (
        "add's /sum costs ~430k instructions where uvicorn answering fixed bytes costs 119k. FastAPI's middleware "
        "stack and router were the largest part (165 -> 28 us per request in process, now skipped for the kit's "
        "routes); what is left is the request log line (~30%), metrics (~10%), the deadline's asyncio.timeout "
        "(~7%), request scope, pydantic validation and orjson. 0.8x leaves ~30k for all of it."
    ),
    "every kit service process < 64 MB RSS (runtime-only install)": (
        "imports are ~72 MB of a trim's ~78 MB: grpc 13 (cygrpc.so alone 11.5 MB resident), FastAPI 12 and "
        "pydantic 5, asyncio with ssl 11, requests 5 (py-consul's HTTP client), prometheus_client 4, uvicorn 3. "
        "Under 64 MB needs FastAPI and pydantic loaded only when /docs or /openapi.json is first asked (the kit's "
        "routes already answer without FastAPI; their decoding would need to drop pydantic models) and py-consul "
        "on httpx instead of requests."
    ),
}


def finding(target: str) -> str | None:
    """The finding for a target of issue 16, by its name; None for targets without one."""
    return FINDINGS.get(target)


__all__ = ["FINDINGS", "PROFILES", "finding"]
