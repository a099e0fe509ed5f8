"""Fixtures shared by every test directory. Helper modules live in tests/integration/ and are loaded as plugins."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

pytest_plugins = ["integration.consul_agent"]


@pytest.fixture
def held() -> Iterator[int]:
    """A port of 127.0.0.1 that a listening socket holds for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])
