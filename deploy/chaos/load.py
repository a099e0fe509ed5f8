"""A bounded HTTP load of our own: every request's start, duration and outcome, so a scenario can say which
requests failed, when, and how fast the others were."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True, slots=True)
class Request:
    """One request: when it was sent (monotonic seconds), how long it took, and its status (0: no answer)."""

    sent: float
    seconds: float
    status: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Result:
    """Every request of one load."""

    requests: list[Request] = field(default_factory=list)

    @property
    def failed(self) -> list[Request]:
        return [r for r in self.requests if not r.ok]

    def statuses(self) -> Counter[int]:
        return Counter(r.status for r in self.requests)

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of the answered requests' durations, in milliseconds."""
        answered = sorted(r.seconds for r in self.requests if r.ok)
        if not answered:
            return float("nan")
        if len(answered) == 1:
            return answered[0] * 1000
        return statistics.quantiles(answered, n=1000, method="inclusive")[int(q * 10) - 1] * 1000


async def load(
    url: str,
    *,
    body: dict[str, object],
    seconds: float,
    connections: int,
    answer_within: float = 5.0,
) -> Result:
    """POSTs `body` to `url` from `connections` keep-alive connections for `seconds`, each waiting for its answer."""
    result = Result()
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=answer_within, limits=limits) as client:

        async def worker() -> None:
            while time.monotonic() < stop_at:
                sent = time.monotonic()
                try:
                    response = await client.post(url, json=body)
                except httpx.HTTPError as exc:
                    result.requests.append(Request(sent, time.monotonic() - sent, 0, f"{type(exc).__name__}: {exc}"))
                    continue
                error = "" if response.status_code == 200 else response.text[:200]
                result.requests.append(Request(sent, time.monotonic() - sent, response.status_code, error))

        await asyncio.gather(*(worker() for _ in range(connections)))
    return result


def first_answer_after(result: Result, instant: float) -> float | None:
    """Seconds from `instant` until a request sent at or after it was answered with 200; None if none was."""
    done = [r.sent + r.seconds for r in result.requests if r.ok and r.sent >= instant]
    return min(done) - instant if done else None
