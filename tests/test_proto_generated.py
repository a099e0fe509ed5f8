"""The committed protobuf code must be exactly what `make proto` generates from the committed .proto files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("add", "trim")


def generated_files(base: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(base)): path.read_bytes()
        for path in sorted(base.rglob("*"))
        if path.is_file() and path.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi"))
    }


@pytest.mark.integration  # runs the generator
@pytest.mark.parametrize("service", SERVICES)
def test_committed_code_matches_a_fresh_generation(tmp_path: Path, service: str) -> None:
    bin_dir = str(Path(sys.executable).parent)
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "gen-proto.sh"), str(tmp_path)],
        check=True,
        capture_output=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    fresh = generated_files(tmp_path / service)
    committed = generated_files(ROOT / "services" / service / "src")
    assert fresh, "the generator wrote nothing"
    assert fresh.keys() == committed.keys()
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"regenerate with `make proto`: {stale} differ from the .proto"
