"""The targets a run is judged by, each as a value measured in that run (mostly a ratio of two of its cells), the
bound it must meet and by how much it is missed.

Issue 16's targets set the kit against go-kit (Go, bench/gokit) and against the fixed-reply ceilings of its own
runtimes (uvicorn for HTTP, grpc.aio for gRPC); issue 7's set it against the bare FastAPI peer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SERVICE_PROCESSES = ("add", "trim-1", "trim-2")
"""The kit's service processes, each of which must stay under RSS_LIMIT_MB."""
RSS_LIMIT_MB = 64.0


def ratio_of(a: float | None, b: float | None) -> float | None:
    """a / b rounded to 3 places, or None when either is missing or b is 0."""
    return round(a / b, 3) if a is not None and b else None


def _target(issue: int, name: str, value: float | None, bound: float, *, above: bool, unit: str = "") -> dict[str, Any]:
    met = value is not None and (value >= bound if above else value < bound)
    if value is None:
        detail = "not measured"
    elif met:
        detail = f"{value:g}{unit}"
    else:
        gap = abs(value - bound) / bound * 100 if bound else 0.0
        detail = f"{value:g}{unit}, {'short of' if above else 'over'} {bound:g}{unit} by {gap:.0f}%"
    return {"issue": issue, "target": name, "value": value, "met": met, "detail": detail}


def targets(cells: Sequence[Mapping[str, Any]], memory: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """Issue 16's targets, then issue 7's, each with the measured value and by how much it is missed."""
    c = {x["key"]: x for x in cells}

    def get(key: str, field: str) -> float | None:
        return c[key][field] if key in c else None

    def ratio(a: str, b: str, field: str = "rps") -> float | None:
        return ratio_of(get(a, field), get(b, field))

    service_rss = [memory[name]["rss_mb"] for name in SERVICE_PROCESSES if name in memory]
    return [
        _target(
            16,
            "/concat 64 conns: kit/go-kit req/s >= 0.25",
            ratio("kit/http/concat/64", "gokit/http/concat/64"),
            0.25,
            above=True,
        ),
        _target(
            16, "/concat 64 conns: kit p99 < 50 ms", get("kit/http/concat/64", "p99_ms"), 50.0, above=False, unit=" ms"
        ),
        _target(
            16, "/concat 64 conns: no kit errors", get("kit/http/concat/64", "errors"), 1.0, above=False, unit=" errors"
        ),
        _target(
            16,
            "/concat 1 conn: kit/go-kit req/s >= 0.5",
            ratio("kit/http/concat/1", "gokit/http/concat/1"),
            0.5,
            above=True,
        ),
        _target(
            16,
            "gRPC Sum 64 in flight: kit/fixed grpc.aio req/s >= 0.9",
            ratio("kit/grpc/sum/64", "grpc-fixed/grpc/sum/64"),
            0.9,
            above=True,
        ),
        _target(
            16,
            "HTTP /sum 64 conns: kit/fixed uvicorn req/s >= 0.8",
            ratio("kit/http/sum/64", "uvicorn/http/sum/64"),
            0.8,
            above=True,
        ),
        _target(
            16,
            f"every kit service process < {RSS_LIMIT_MB:g} MB RSS (runtime-only install)",
            max(service_rss) if service_rss else None,
            RSS_LIMIT_MB,
            above=False,
            unit=" MB",
        ),
        _target(
            7, "/sum 64 conns: kit/peer req/s >= 1.0", ratio("kit/http/sum/64", "peer/http/sum/64"), 1.0, above=True
        ),
        _target(
            7,
            "/sum 64 conns: kit p99 no worse than peer's (ratio <= 1.0)",
            ratio("kit/http/sum/64", "peer/http/sum/64", "p99_ms"),
            1.0 + 1e-9,
            above=False,
        ),
        _target(
            7,
            "/concat 64 conns: kit/peer req/s >= 10",
            ratio("kit/http/concat/64", "peer/http/concat/64"),
            10.0,
            above=True,
        ),
        _target(
            7, "/concat 1 conn: kit p50 < 1.5 ms", get("kit/http/concat/1", "p50_ms"), 1.5, above=False, unit=" ms"
        ),
        _target(
            7,
            "gRPC Sum faster than HTTP /sum, 64 conns (req/s ratio > 1)",
            ratio("kit/grpc/sum/64", "kit/http/sum/64"),
            1.0 + 1e-9,
            above=True,
        ),
        _target(
            7,
            "gRPC Sum faster than HTTP /sum, 1 conn (p50 ratio < 1)",
            ratio("kit/grpc/sum/1", "kit/http/sum/1", "p50_ms"),
            1.0,
            above=False,
        ),
    ]


__all__ = ["RSS_LIMIT_MB", "SERVICE_PROCESSES", "ratio_of", "targets"]
