"""`python -m deploy.hosts.load`: bounded load on add and a watch on what add and Consul see, run *inside* the
callers' host of the bed (the launcher starts it with `nsenter --net=...`).

Open loop: one `POST /concat` every 1/rate seconds whatever the previous ones do (so a stall shows as latency and
failures, not as fewer requests), each checked for the right answer. Every `--every` seconds the watch reads add's
own `/metrics` (how many calls add's balancer sent to each trim instance: the rotation as add lives it) and the
health API of add's local Consul agent (the passing trims and adds, and the leader it knows). Runs until SIGTERM
or `--max-duration`, waits for the requests in flight, and writes one JSON document to `--out`:

    {"requests": [[start, seconds, status], ...],            # status: HTTP code, 0 for no answer, -1 wrong body
     "observations": [{"t": ..., "calls": {instance: n}, "ok": {instance: n}, "circuit": {instance: 0|1|2},
                       "set": n, "trims": [...] | null, "adds": n | null, "leader": "ip:port" | null}, ...]}

(add's metrics are null in an observation when add did not answer.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

BODY = {"a": "1 0 1", "b": "2"}
WANT = {"v": "1012"}
NO_ANSWER, WRONG = 0, -1


def trim_view(metrics_text: str) -> dict[str, dict[str, float]]:
    """What add's /metrics says of each trim instance it knows: `calls` its balancer sent (every outcome, a
    call refused by an open circuit too), `ok` those answered, and `circuit` (0 closed, 1 half-open, 2 open); and
    `set`: {"trim": how many instances add's discovery holds} (kit_sd_instances: add's set as it is now; a removed
    instance's call series stays while its channel closes, up to trim's CLOSE_GRACE)."""
    view: dict[str, dict[str, float]] = {"calls": {}, "ok": {}, "circuit": {}, "set": {}}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == "kit_sd_instances" and sample.labels.get("target") == "trim":
                view["set"]["trim"] = sample.value
            instance = sample.labels.get("endpoint")
            if sample.labels.get("target") != "trim" or instance is None:
                continue
            if sample.name == "kit_client_requests_total":
                view["calls"][instance] = view["calls"].get(instance, 0.0) + sample.value
                if sample.labels.get("outcome") == "ok":
                    view["ok"][instance] = view["ok"].get(instance, 0.0) + sample.value
            elif sample.name == "kit_circuit_state":
                view["circuit"][instance] = sample.value
    return view


def instances(entries: Any) -> list[str] | None:
    """`address:port` of each entry of Consul's health API (None when Consul did not answer)."""
    if not isinstance(entries, list):
        return None
    return sorted(f"{e['Service']['Address']}:{e['Service']['Port']}" for e in entries)


class Load:
    """The requests and the watch of one run."""

    def __init__(self, add: str, agent: str, *, rate: float, timeout: float, ready: Path | None = None) -> None:
        self.add = add.rstrip("/")
        self.agent = agent
        self.rate = rate
        self.timeout = timeout
        self.requests: list[tuple[float, float, int]] = []
        self.observations: list[dict[str, Any]] = []
        self.stopping = asyncio.Event()
        self.ready = ready  # created once the first request is answered: the launcher starts its clock then

    async def _one(self, client: httpx.AsyncClient) -> None:
        start, t0 = time.time(), time.perf_counter()
        try:
            resp = await client.post(f"{self.add}/concat", json=BODY, timeout=self.timeout)
            status = resp.status_code if resp.status_code != 200 or resp.json() == WANT else WRONG
        except (httpx.HTTPError, ValueError):
            status = NO_ANSWER
        self.requests.append((start, time.perf_counter() - t0, status))
        if self.ready is not None and not self.ready.exists():
            self.ready.touch()

    async def drive(self) -> None:
        """Sends the requests until stopped, then waits for those in flight."""
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(limits=limits) as client:
            tasks: set[asyncio.Task[None]] = set()
            interval, next_at = 1.0 / self.rate, time.perf_counter()
            while not self.stopping.is_set():
                task = asyncio.create_task(self._one(client))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), delay)
            if tasks:
                await asyncio.wait(tasks)

    async def _json(self, client: httpx.AsyncClient, url: str) -> Any:
        try:
            resp = await client.get(url)
        except httpx.HTTPError:
            return None
        return resp.json() if resp.status_code == 200 else None

    async def _observe(self, client: httpx.AsyncClient) -> dict[str, Any]:
        t = time.time()
        metrics: Any
        trims: Any
        adds: Any
        leader: Any
        metrics, trims, adds, leader = await asyncio.gather(
            client.get(f"{self.add}/metrics"),
            self._json(client, f"http://{self.agent}/v1/health/service/trim?passing=1"),
            self._json(client, f"http://{self.agent}/v1/health/service/add?passing=1"),
            self._json(client, f"http://{self.agent}/v1/status/leader"),
            return_exceptions=True,
        )
        view = trim_view(metrics.text) if isinstance(metrics, httpx.Response) and metrics.status_code == 200 else {}
        found = instances(trims) if not isinstance(trims, BaseException) else None
        n_adds = len(adds) if isinstance(adds, list) else None
        return {
            "t": t,
            "calls": view.get("calls"),
            "ok": view.get("ok"),
            "circuit": view.get("circuit"),
            "set": view.get("set", {}).get("trim"),
            "trims": found,
            "adds": n_adds,
            "leader": leader if isinstance(leader, str) and leader else None,
        }

    async def watch(self, every: float) -> None:
        """Observes add and its agent every `every` seconds until stopped."""
        async with httpx.AsyncClient(timeout=min(1.0, every * 4)) as client:
            while not self.stopping.is_set():
                started = time.perf_counter()
                self.observations.append(await self._observe(client))
                left = every - (time.perf_counter() - started)
                if left > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), left)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """One run; returns the document written to --out."""
    load = Load(args.add, args.agent, rate=args.rate, timeout=args.timeout, ready=args.out.with_suffix(".ready"))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, load.stopping.set)
    loop.call_later(args.max_duration, load.stopping.set)
    await asyncio.gather(load.drive(), load.watch(args.every))
    return {"requests": sorted(load.requests), "observations": load.observations}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m deploy.hosts.load")
    parser.add_argument("--add", required=True, help="add's HTTP base URL")
    parser.add_argument("--agent", required=True, help="host:port of add's local Consul agent")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds a request may take")
    parser.add_argument("--every", type=float, default=0.25, help="seconds between two observations")
    parser.add_argument("--max-duration", type=float, default=120.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    document = asyncio.run(run(args))
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(document))
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
