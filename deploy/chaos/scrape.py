"""What add's own /metrics says about a scenario: calls to trim, retries, hedges, refusals of the budget, shed."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True, slots=True)
class Counts:
    """Counters of add's client side and of its load shedding, summed over their labels."""

    attempts: float = 0.0  # every call sent to a trim instance
    retries: float = 0.0  # attempts after the first of a call, hedges included
    hedges: float = 0.0
    budget_refused: float = 0.0
    shed: float = 0.0  # requests refused by the load shedder (any kit_shed*_total counter)

    @property
    def calls(self) -> float:
        return self.attempts - self.retries

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.attempts - other.attempts,
            self.retries - other.retries,
            self.hedges - other.hedges,
            self.budget_refused - other.budget_refused,
            self.shed - other.shed,
        )


def counts(base_url: str) -> Counts:
    """Reads add's /metrics now."""
    text = httpx.get(f"{base_url}/metrics", timeout=5.0).text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total"):
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return Counts(
        attempts=totals.get("kit_client_requests_total", 0.0),
        retries=totals.get("kit_retries_total", 0.0),
        hedges=totals.get("kit_hedges_total", 0.0),
        budget_refused=totals.get("kit_retry_budget_exhausted_total", 0.0),
        shed=sum(v for k, v in totals.items() if k.startswith("kit_shed")),
    )
