"""A closed-loop HTTP/1.1 load that tells accepted answers from shed ones, for the overload scenario of issue 10.

wrk reports one latency distribution for every answer; judging load shedding needs the latency of the accepted
(200) answers apart from the fast 503s, and whether each 503 carried `Retry-After`. Each connection sends one POST,
reads the whole answer, and sends the next at once (as wrk does), reopening the connection when the server says
`Connection: close`. Raw asyncio streams keep the generator cheap beside the server on a small machine.

    python -m bench.overload http://127.0.0.1:8080/concat --connections 64 256 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import uvloop
from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Overload:
    """What one load saw: answers by status, latencies by status, 503s without Retry-After, and failures."""

    connections: int
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: dict[int, list[float]] = field(default_factory=dict)
    shed_without_retry_after: int = 0
    first_shed: list[float] = field(default_factory=list)
    """Latencies of the 503s that began a run of them on a connection (the server answers those at once; the ones
    after it, sent without waiting as `Retry-After` asked, it may hold)."""
    timeouts: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    gauges: dict[str, list[float]] = field(default_factory=dict)
    """Samples of the server's own gauges taken during the load (see `--metrics`)."""

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.timeouts + sum(self.errors.values())

    @property
    def failed(self) -> int:
        """Requests that got no answer (timeouts, resets) or an answer other than 200 and 503."""
        other = sum(n for status, n in self.statuses.items() if status not in (200, 503))
        return self.timeouts + sum(self.errors.values()) + other

    def quantile_ms(self, status: int, q: float) -> float:
        return _quantile_ms(self.latencies.get(status, []), q)

    def summary(self) -> dict[str, object]:
        return {
            "connections": self.connections,
            "requests": self.requests,
            "ok": self.statuses[200],
            "shed": self.statuses[503],
            "failed": self.failed,
            "timeouts": self.timeouts,
            "errors": dict(self.errors),
            "shed_without_retry_after": self.shed_without_retry_after,
            "ok_rps": round(self.statuses[200] / self.seconds, 1) if self.seconds else 0.0,
            "ok_p50_ms": round(self.quantile_ms(200, 0.5), 2),
            "ok_p99_ms": round(self.quantile_ms(200, 0.99), 2),
            "shed_p50_ms": round(self.quantile_ms(503, 0.5), 2),
            "shed_p99_ms": round(self.quantile_ms(503, 0.99), 2),
            "first_shed_p50_ms": round(_quantile_ms(self.first_shed, 0.5), 2),
            "first_shed_p99_ms": round(_quantile_ms(self.first_shed, 0.99), 2),
            "ok_mean_ms": round(statistics.fmean(self.latencies.get(200, [0.0])) * 1000, 2),
            **{
                f"{name}_p50_max": [round(statistics.median(values), 4), round(max(values), 4)]
                for name, values in self.gauges.items()
                if values
            },
        }


def _quantile_ms(latencies: list[float], q: float) -> float:
    values = sorted(latencies)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers


async def _connection(
    host: str, port: int, request: bytes, result: Overload, stop_at: float, answer_within: float
) -> None:
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    shed_before = False  # the previous answer on this connection was a 503
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            if streams is None:
                streams = await asyncio.wait_for(asyncio.open_connection(host, port), answer_within)
            reader, writer = streams
            writer.write(request)
            status, headers = await asyncio.wait_for(_answer(reader), answer_within)
        except TimeoutError:
            result.timeouts += 1
            _close(streams)
            streams, shed_before = None, False
            continue
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            result.errors[type(exc).__name__] += 1
            _close(streams)
            streams, shed_before = None, False
            await asyncio.sleep(0.01)
            continue
        latency = time.perf_counter() - started
        result.statuses[status] += 1
        result.latencies.setdefault(status, []).append(latency)
        if status == 503:
            result.shed_without_retry_after += b"retry-after" not in headers
            if not shed_before:
                result.first_shed.append(latency)
        shed_before = status == 503
        if headers.get(b"connection", b"").lower() == b"close":
            _close(streams)
            streams, shed_before = None, False
    _close(streams)


def _close(streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    """Closes a connection (the server may have closed it already)."""
    if streams is not None:
        streams[1].close()


async def overload(
    url: str,
    *,
    body: bytes,
    connections: int,
    seconds: float,
    answer_within: float = 5.0,
    metrics_url: str | None = None,
) -> Overload:
    """Runs `connections` closed-loop connections against `url` for `seconds` (bounded); what they saw."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    result = Overload(connections)
    # The generator's own pauses are not the server's latency: a full collection of this process took 67-96 ms
    # right as 256 connections opened, and that pause was counted in every answer then in flight (2 % of a 6 s
    # run: the p99). Its garbage is nearly all freed by reference counting; the cycles wait until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        started = time.monotonic()
        stop_at = started + seconds
        sampler = asyncio.create_task(_sample(metrics_url, result, stop_at)) if metrics_url else None
        await asyncio.gather(
            *(_connection(host, port, request, result, stop_at, answer_within) for _ in range(connections))
        )
        if sampler is not None:
            await sampler
        result.seconds = time.monotonic() - started
    finally:
        if collecting:
            gc.enable()
    return result


GAUGES = ("kit_loop_lag_seconds", "kit_shed_limit", "kit_requests_in_flight")
"""The server gauges `--metrics` samples: loop lag, the shedder's limit, requests in flight (summed)."""


async def _sample(url: str, result: Overload, stop_at: float) -> None:
    """Reads the server's gauges every 100 ms while the load runs."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < stop_at:
            try:
                text = (await client.get(url)).text
            except httpx.HTTPError:
                continue
            sums: dict[str, float] = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name in GAUGES:
                        sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
            for name, value in sums.items():
                result.gauges.setdefault(name, []).append(value)
            await asyncio.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--body", default='{"a": "a b", "b": "c d"}')
    parser.add_argument("--metrics", help="the server's /metrics URL, to sample its gauges during the load")
    args = parser.parse_args(argv)
    for connections in args.connections:
        result = uvloop.run(
            overload(
                args.url,
                body=args.body.encode(),
                connections=connections,
                seconds=args.seconds,
                metrics_url=args.metrics,
            )
        )
        print(json.dumps(result.summary()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
