"""kit.tracing's public names, and the import rule that keeps it below the transports."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kit.tracing


def test_public_names_exist_and_are_sorted() -> None:
    names = kit.tracing.__all__

    assert all(hasattr(kit.tracing, name) for name in names)
    assert list(names) == sorted(names, key=lambda name: (not name.isupper(), name))
    assert {"Tracing", "from_env", "span", "with_exporters", "server_span", "client_span"} <= set(names)


@pytest.mark.integration  # runs a fresh interpreter
def test_importing_it_loads_no_transport_and_no_exporter_package() -> None:
    code = (
        "import sys, kit.tracing; "
        "print(sorted(m for m in sys.modules if m.startswith(('kit.transport', 'kit.sd', 'kit.run', "
        "'grpc', 'httpx', 'fastapi', 'opentelemetry.exporter'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert out.stdout.strip() == "[]"
