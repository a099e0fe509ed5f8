"""The generator is all or nothing: when a step fails after it has written the service and edited the tracked
files (the lock, the protobuf code), the tree is left byte for byte as it was, so `make up` still works. Runs the
generator in a copy of the repository whose uv, or whose protobuf step, fails (a few seconds)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_UV = {
    # every uv call fails: the offline lock, then the online one
    "lock": "#!/bin/sh\nexit 1\n",
    # uv locks (writing the lock file, as a real lock does) and syncs; then the protobuf step fails
    "proto": '#!/bin/sh\nif [ "$1" = lock ]; then echo "# locked" >> uv.lock; fi\nexit 0\n',
}


def _tree(root: Path) -> dict[str, str]:
    skip = {".venv", ".tools"}
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in root.rglob("*")
        if f.is_file()
        and not f.is_symlink()
        and not skip & set(f.relative_to(root).parts)
        and "__pycache__" not in f.parts
    }


@pytest.mark.parametrize("failing", sorted(FAKE_UV))
def test_a_failed_step_leaves_the_tree_as_it_was(tmp_path: Path, failing: str) -> None:
    copy = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    uv = copy / ".tools" / "uv" / "bin" / "uv"
    uv.parent.mkdir(parents=True)
    uv.write_text(FAKE_UV[failing])
    uv.chmod(0o755)
    (copy / ".venv" / "bin").mkdir(parents=True)
    for tool in ("python", "ruff"):
        (copy / ".venv" / "bin" / tool).symlink_to(Path(sys.executable).parent / tool)
    if failing == "proto":
        (copy / "scripts" / "gen-proto.sh").write_text("exit 1\n")
    before = _tree(copy)

    done = subprocess.run(
        [sys.executable, "scripts/new_service", "echo"], cwd=copy, capture_output=True, text=True, check=False
    )

    after = _tree(copy)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == []
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nothing was changed" in done.stderr
    assert not (copy / "services" / "echo").exists()
