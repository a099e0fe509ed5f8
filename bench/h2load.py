"""Runs one gRPC load with h2load (nghttp2's HTTP/2 load generator, written in C like wrk).

gRPC is HTTP/2 with a 5-byte frame before each message, so h2load sends a pre-framed request body with gRPC's
headers. It cannot read gRPC's status (a trailer), so a good answer is counted from the DATA bytes received: an OK
reply carries exactly the expected message, an error reply none at all. Latency percentiles come from h2load's
per-request log.
"""

from __future__ import annotations

import re
import resource
import struct
import subprocess
import tempfile
from pathlib import Path

from bench.loadgen import Load

STREAMS_PER_CONNECTION = 16
"""64 calls in flight are 4 HTTP/2 connections of 16 streams each; 1 call is 1 connection of 1 stream."""


def grpc_frame(message: bytes) -> bytes:
    """A message as gRPC puts it on the wire: uncompressed flag, 4-byte big-endian length, the message."""
    return struct.pack(">BI", 0, len(message)) + message


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"h2load's report lacks {pattern!r}:\n{text}")
    return float(found.group(1))


def _seconds(text: str) -> float:
    """The run's length from h2load's `finished in 1.00s` or, when under a second, `finished in 995.50ms`."""
    found = re.search(r"finished in ([0-9.]+)(ms|s)\b", text)
    if found is None:
        raise RuntimeError(f"h2load's report lacks 'finished in':\n{text}")
    value = float(found.group(1))
    return value / 1000 if found.group(2) == "ms" else value


def percentile_ms(sorted_us: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted microsecond samples, in milliseconds (0 when there is none)."""
    if not sorted_us:
        return 0.0
    rank = min(len(sorted_us) - 1, max(0, round(q / 100 * len(sorted_us)) - 1))
    return sorted_us[rank] / 1e3


def run_h2load(h2load: str, url: str, request: bytes, reply: bytes, *, conns: int, duration: int) -> Load:
    """`conns` calls in flight on `url` (http://host:port/pkg.Service/Method) for `duration` seconds, one thread."""
    clients = 1 if conns == 1 else max(1, conns // STREAMS_PER_CONNECTION)
    streams = max(1, conns // clients)
    with tempfile.TemporaryDirectory(prefix="h2load-") as tmp:
        body, log = Path(tmp) / "request", Path(tmp) / "requests.log"
        body.write_bytes(grpc_frame(request))
        argv = [
            h2load,
            "-t1",
            f"-c{clients}",
            f"-m{streams}",
            f"-D{duration}",
            f"--data={body}",
            "--header=content-type: application/grpc",
            "--header=te: trailers",
            f"--log-file={log}",
            url,
        ]
        cpu0 = _children_cpu()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30)
        cpu = _children_cpu() - cpu0
        if done.returncode != 0:
            raise RuntimeError(f"h2load failed ({done.returncode}): {done.stdout}\n{done.stderr}")
        latencies = sorted(
            int(cols[2]) for cols in (ln.split("\t") for ln in log.read_text().splitlines()) if cols[1] == "200"
        )
    out = done.stdout
    # h2load's counts nest: timeout within errored (no answer) within failed (errored, or a non-2xx status).
    succeeded, data = int(_number(r"(\d+) succeeded", out)), int(_number(r"\((\d+)\) data", out))
    failed, errored = int(_number(r"(\d+) failed", out)), int(_number(r"(\d+) errored", out))
    timeout = int(_number(r"(\d+) timeout", out))
    good = min(succeeded, data // len(grpc_frame(reply)))
    errors = {
        "grpc_status": succeeded - good,
        "http_status": failed - errored,
        "errored": errored - timeout,
        "timeout": timeout,
    }
    return Load(
        requests=good,
        seconds=_seconds(out),
        errors={kind: n for kind, n in errors.items() if n},
        p50_ms=percentile_ms(latencies, 50),
        p99_ms=percentile_ms(latencies, 99),
        generator_cpu_seconds=cpu,
    )


__all__ = ["STREAMS_PER_CONNECTION", "grpc_frame", "percentile_ms", "run_h2load"]
