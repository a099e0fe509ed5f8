"""The instancer tests' shared fixture: instancers a test starts on a fake Consul, stopped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from support.fake_consul import Started


@pytest.fixture
async def started() -> AsyncIterator[Started]:
    """Instancers a test starts; stopped afterwards, with their blocked fake queries released."""
    instancers: Started = []
    yield instancers
    for instancer, fake in instancers:
        await instancer.stop()
        fake.health.release.set()
