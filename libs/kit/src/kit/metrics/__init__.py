"""Prometheus metrics of the kit: the contract's families on a registry passed in, and the middlewares that
write them. See `Metrics`."""

from kit.metrics.families import DEFAULT_BUCKETS, OK, Families, declare
from kit.metrics.metrics import Metrics

__all__ = ["DEFAULT_BUCKETS", "OK", "Families", "Metrics", "declare"]
