"""A fresh registry per test, and the kit's Metrics over it."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from kit.metrics import Metrics


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> Metrics:
    return Metrics(registry, service="add")
