"""The one stack every end-to-end test shares: up once for this package, down after its last test."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:  # the launcher's modules are imported as `deploy.local.kitstack`
    sys.path.append(ROOT)

from e2e.e2e_stack import RunningStack, running_stack  # noqa: E402

TRIMS = 2


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """Consul, Prometheus, two trims and add as local processes on free ports; stopped after the e2e tests."""
    with running_stack(tmp_path_factory.mktemp("e2e-stack") / "run", trims=TRIMS) as running:
        yield running
