"""The figures of one fault run, from what `deploy.hosts.load` recorded and the times the faults were made.
Pure: tested with made-up runs.

"In rotation" is read from add's own counters: an instance is in add's rotation while add's balancer keeps
sending it calls. It left when its counter stopped moving for good, and is back when the counter moves again.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Request = tuple[float, float, int]  # start (epoch seconds), seconds taken, status (200 ok)


@dataclass(frozen=True, slots=True)
class Run:
    """What one run recorded: the requests, the observations and the named instants (epoch seconds)."""

    requests: Sequence[Request]
    observations: Sequence[Mapping[str, Any]]
    marks: Mapping[str, float]

    @classmethod
    def from_json(cls, document: Mapping[str, Any], marks: Mapping[str, float]) -> Run:
        return cls([tuple(r) for r in document["requests"]], document["observations"], dict(marks))

    def failed(self, start: float = float("-inf"), end: float = float("inf")) -> list[Request]:
        """The requests started in [start, end) that did not get the right answer."""
        return [r for r in self.requests if start <= r[0] < end and r[2] != 200]

    def latencies(self, start: float = float("-inf"), end: float = float("inf")) -> list[float]:
        """Seconds taken by the requests started in [start, end) that got the right answer."""
        return sorted(r[1] for r in self.requests if start <= r[0] < end and r[2] == 200)


def percentile_ms(samples: Sequence[float], q: int) -> float | None:
    """The q-th percentile of `samples` (seconds) in milliseconds; None without samples."""
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0] * 1000
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] * 1000


def series(run: Run, instance: str, *, key: str = "ok") -> list[tuple[float, float]]:
    """(time, add's count `key` of `instance`; 0 while add has no series for it) for every observation that read
    add's metrics. `key` is "calls" (every call the balancer sent it) or "ok" (those it answered)."""
    return [(o["t"], float(o[key].get(instance, 0.0))) for o in run.observations if o.get(key) is not None]


def set_size(observation: Mapping[str, Any]) -> int | None:
    """How many trims add's discovery held at `observation` (None: add's metrics were not read)."""
    size = observation.get("set")
    return None if size is None else int(size)


def answered_again(run: Run, instance: str, start: float) -> float | None:
    """Seconds from `start` until `instance` next answered one of add's calls (None: never). A series that
    comes back after its instance left add's set starts again from zero."""
    points = series(run, instance)
    for (_, before), (t, now) in itertools.pairwise(points):
        if t >= start and now > before:
            return t - start
    return None


def stopped_answering(run: Run, instance: str, start: float, end: float, *, quiet: float = 1.0) -> float | None:
    """Seconds from `start` until `instance` answered add for the last time before `end` (None: it still
    answered in the last `quiet` seconds before `end`)."""
    every = series(run, instance)
    baseline = [p for p in every if p[0] < start][-1:]  # the baseline a move at the first point is counted from
    points = baseline + [(t, n) for t, n in every if start <= t <= end]
    if len(points) < 2:
        return None
    last = start
    for (_, before), (t, now) in itertools.pairwise(points):
        if now > before:
            last = t
    return None if last > end - quiet else last - start


def first_seen(run: Run, start: float, predicate: Any) -> float | None:
    """Seconds from `start` until the first observation for which `predicate(observation)` holds."""
    return next((o["t"] - start for o in run.observations if o["t"] >= start and predicate(o)), None)


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one fault: load, failures, latency and the times until the change was seen."""

    fault: str
    requests: int
    failed: int
    p50_ms: float | None
    p99_ms: float | None
    fault_p50_ms: float | None  # requests started while the fault was on
    fault_p99_ms: float | None
    failed_during: int
    failed_after: int  # failures after the fault was undone (settling)
    resumed_s: float | None  # from undoing the fault to the last failed request after it (0: none failed)
    times: Mapping[str, float | None] = field(default_factory=dict)  # seconds until each change was seen
    load1: float | None = None  # the machine's 1-minute load average at the end: a busy machine slows all

    def as_row(self) -> dict[str, Any]:
        """A flat dict, for JSON and for the table."""
        return {
            "fault": self.fault,
            "requests": self.requests,
            "failed": self.failed,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "fault_p50_ms": self.fault_p50_ms,
            "fault_p99_ms": self.fault_p99_ms,
            "failed_during": self.failed_during,
            "failed_after": self.failed_after,
            "resumed_s": self.resumed_s,
            "load1": self.load1,
            **{f"{k}_s": v for k, v in self.times.items()},
        }


def figures(fault: str, run: Run, times: Mapping[str, float | None], *, load1: float | None = None) -> Figures:
    """The figures of `run`, whose marks hold `fault` and `restore` (the fault was on in between)."""
    on, off = run.marks["fault"], run.marks["restore"]
    during = run.latencies(on, off)
    everything = run.latencies()
    return Figures(
        fault=fault,
        requests=len(run.requests),
        failed=len(run.failed()),
        p50_ms=percentile_ms(everything, 50),
        p99_ms=percentile_ms(everything, 99),
        fault_p50_ms=percentile_ms(during, 50),
        fault_p99_ms=percentile_ms(during, 99),
        failed_during=len(run.failed(on, off)),
        failed_after=len(run.failed(off)),
        resumed_s=max((r[0] - off for r in run.failed(off)), default=0.0),
        times=dict(times),
        load1=load1,
    )


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.0f}"


def _s(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(rows: Sequence[Figures]) -> str:
    """A Markdown table of the figures, then each fault's times until its changes were seen."""
    head = "| fault | requests | failed (during / after) | p50 ms | p99 ms | p50 / p99 ms while on | resumed s | load |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for f in rows:
        lines.append(
            f"| {f.fault} | {f.requests} | {f.failed} ({f.failed_during} / {f.failed_after}) | {_ms(f.p50_ms)} | "
            f"{_ms(f.p99_ms)} | {_ms(f.fault_p50_ms)} / {_ms(f.fault_p99_ms)} | {_s(f.resumed_s)} | {_s(f.load1)} |"
        )
    lines += ["", "| fault | seconds until seen |", "|---|---|"]
    for f in rows:
        lines.append(f"| {f.fault} | " + ", ".join(f"{k} {_s(v)}" for k, v in f.times.items()) + " |")
    return "\n".join(lines)


__all__ = [
    "Figures",
    "Request",
    "Run",
    "answered_again",
    "figures",
    "first_seen",
    "percentile_ms",
    "series",
    "set_size",
    "stopped_answering",
    "table",
]
