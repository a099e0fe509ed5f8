"""`python -m bench.grpc_load`: the gRPC load generator, a grpc.aio client keeping many calls in flight.

`--concurrency` calls are kept in flight over `--channels` channels (each its own TCP connection) for `--duration`
seconds, every call sending the same pre-encoded request and comparing the reply bytes with the expected ones, so
the client spends its CPU on gRPC and not on protobuf. Prints one JSON object on stdout: completed calls, the
failed ones by status code, latency percentiles of the answered calls, and the client's own CPU seconds (every
thread of the process, gRPC's included) during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time

import grpc

_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanosecond samples, in milliseconds (0 when there is none)."""
    if not sorted_ns:
        return 0.0
    rank = min(len(sorted_ns) - 1, max(0, round(q / 100 * len(sorted_ns)) - 1))
    return sorted_ns[rank] / 1e6


async def drive(
    target: str,
    path: str,
    request: bytes,
    expect: bytes,
    *,
    concurrency: int,
    channels: int,
    duration: float,
    call_timeout: float,
) -> dict[str, object]:
    """Runs the load and returns the summary `main` prints."""
    chans = [grpc.aio.insecure_channel(target, options=_OPTIONS) for _ in range(channels)]
    try:
        await asyncio.wait_for(asyncio.gather(*(c.channel_ready() for c in chans)), timeout=10)
        calls = [c.unary_unary(path, request_serializer=None, response_deserializer=None) for c in chans]
        samples: list[int] = []
        errors: collections.Counter[str] = collections.Counter()
        cpu0, start = time.process_time(), time.perf_counter()
        end = start + duration

        async def worker(call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]) -> None:
            clock = time.perf_counter_ns
            while time.perf_counter() < end:
                t0 = clock()
                try:
                    reply = await call(request, timeout=call_timeout)
                except grpc.aio.AioRpcError as exc:
                    errors[exc.code().name] += 1
                    continue
                samples.append(clock() - t0)
                if reply != expect:
                    errors["WRONG_REPLY"] += 1

        await asyncio.gather(*(worker(calls[i % channels]) for i in range(concurrency)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    finally:
        await asyncio.gather(*(c.close(None) for c in chans))
    samples.sort()
    return {
        "answered": len(samples),
        "seconds": seconds,
        "errors": dict(errors),
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "cpu_seconds": cpu,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.grpc_load", description=__doc__)
    parser.add_argument("--target", required=True, help="host:port")
    parser.add_argument("--path", required=True, help="method path, e.g. /pb.Add/Sum")
    parser.add_argument("--request-hex", required=True, help="the encoded request message")
    parser.add_argument("--expect-hex", required=True, help="the encoded reply every call must get")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    summary = asyncio.run(
        drive(
            args.target,
            args.path,
            bytes.fromhex(args.request_hex),
            bytes.fromhex(args.expect_hex),
            concurrency=args.concurrency,
            channels=max(1, min(args.channels, args.concurrency)),
            duration=args.duration,
            call_timeout=args.timeout,
        )
    )
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
