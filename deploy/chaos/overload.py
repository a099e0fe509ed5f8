"""The overload rows of `make chaos`: /concat from as many connections as saturate add, then four times as many.

Each connection sends its next request as soon as an answer comes, a 503 included (as wrk does; a client that
honours `Retry-After` would come back later), so the excess keeps knocking, and add holds each such 503 until about
`Retry-After` after the previous one (`*_HTTP_SHED_HOLD`): the first 503 of a run comes at once. What to read:
accepted requests' p99 at 4x against the saturated p99 (the ratio is printed), the sheds, and that nothing failed
(no timeout, no reset, no status but 200 and 503).
"""

from __future__ import annotations

import asyncio
import json

from bench.overload import Overload, overload
from deploy.chaos.scrape import Counts, counts

SATURATING = 64
"""Connections that keep add busy on a 2-core machine without shedding."""


def _row(name: str, seen: Overload, delta: Counts, notes: str) -> list[str]:
    return [
        name,
        str(seen.requests),
        str(seen.failed),
        f"{seen.quantile_ms(200, 0.5):.1f}",
        f"{seen.quantile_ms(200, 0.99):.1f}",
        f"{delta.retries:.0f}",
        f"{delta.hedges:.0f}",
        f"{delta.shed:.0f}",
        notes,
    ]


async def rows(add_url: str, body: dict[str, object], *, seconds: float = 8.0) -> list[list[str]]:
    """Runs both loads back to back against add; one table row each (p50 and p99 are the accepted requests')."""
    raw = json.dumps(body).encode()
    seen: list[tuple[Overload, Counts]] = []
    for connections in (SATURATING, 4 * SATURATING):
        before = await asyncio.to_thread(counts, add_url)
        result = await overload(
            f"{add_url}/concat", body=raw, connections=connections, seconds=seconds, answer_within=30
        )
        seen.append((result, await asyncio.to_thread(counts, add_url) - before))
    (saturated, calm), (overloaded, busy) = seen
    ratio = overloaded.quantile_ms(200, 0.99) / saturated.quantile_ms(200, 0.99)
    return [
        _row(f"{SATURATING} connections (saturated)", saturated, calm, f"{saturated.summary()['ok_rps']} ok/s"),
        _row(
            f"{4 * SATURATING} connections (4x overload)",
            overloaded,
            busy,
            f"{overloaded.summary()['ok_rps']} ok/s, accepted p99 {ratio:.2f}x saturated, "
            f"first 503 on a connection p50 {overloaded.summary()['first_shed_p50_ms']} ms, all 503s p50 "
            f"{overloaded.quantile_ms(503, 0.5):.1f} ms, 503 without Retry-After {overloaded.shed_without_retry_after}",
        ),
    ]
