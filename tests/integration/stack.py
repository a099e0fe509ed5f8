"""Small helpers the discovery and resilience tests share: Consul's view, add's metrics, a bounded load."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from integration.procs import ServiceProcess


def passing(consul_addr: str, service: str, *, token: str | None = None) -> list[str]:
    """IDs of the instances of `service` whose checks pass, as Consul's health API reports them."""
    headers = {"X-Consul-Token": token} if token else {}
    response = httpx.get(
        f"http://{consul_addr}/v1/health/service/{service}", params={"passing": "1"}, headers=headers, timeout=5
    )
    response.raise_for_status()
    return sorted(entry["Service"]["ID"] for entry in response.json())


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, step: float = 0.1) -> float:
    """Polls `condition` until true (bounded); returns the seconds it took, raises AssertionError naming `what`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def samples(process: ServiceProcess, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of metric `name` (e.g. kit_client_requests_total) on the process's /metrics."""
    text = httpx.get(f"{process.http_url}/metrics", timeout=5).text
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found.append((dict(sample.labels), float(sample.value)))
    return found


def calls_per_trim(add: ServiceProcess) -> Counter[str]:
    """Successful calls add's balancer sent to each trim instance, by its host:port."""
    counts: Counter[str] = Counter()
    for labels, value in samples(add, "kit_client_requests_total"):
        if labels.get("target") == "trim" and labels.get("outcome") == "ok":
            counts[labels["endpoint"]] += int(value)
    return counts


@dataclass
class LoadResult:
    """What a bounded load saw: answers by status, and the failures' texts."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values()) + len([f for f in self.failures if f.startswith("transport")])


async def load(
    url: str, *, body: dict[str, object], seconds: float, concurrency: int, expect: Iterable[int] = (200,)
) -> LoadResult:
    """Sends POSTs from `concurrency` workers for `seconds` (bounded), recording every answer."""
    result = LoadResult()
    wanted = set(expect)
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=5.0, limits=limits) as client:

        async def worker() -> None:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body)
                except httpx.HTTPError as exc:
                    result.failures.append(f"transport: {exc!r}")
                    continue
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status_code] += 1
                if response.status_code not in wanted:
                    result.failures.append(f"{response.status_code}: {response.text}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result
