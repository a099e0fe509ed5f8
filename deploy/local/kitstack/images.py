"""What the services' images are built with and tagged as: git's tag and the org.opencontainers.image labels, the tag
read back from an image reference, and the machine's extra CA certificates the build stage trusts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def image_labels(root: Path) -> dict[str, str]:
    """The images' tag and org.opencontainers.image labels from git (`dev`/`unknown` outside a git checkout)."""
    return {
        "STACK_IMAGE_TAG": _git(root, "describe", "--tags", "--always", "--dirty") or "dev",
        "STACK_IMAGE_REVISION": _git(root, "rev-parse", "HEAD") or "unknown",
        "STACK_IMAGE_CREATED": _git(root, "log", "-1", "--format=%cI") or "unknown",
    }


def tag_of(image: str) -> str | None:
    """The tag of an image reference (`gokit/addsvc:abc1234` -> `abc1234`), None without one."""
    name, _, tag = image.rpartition(":")
    return tag if name and "/" not in tag else None


MACHINE_CAS = Path("/usr/local/share/ca-certificates")
"""Where Debian keeps a machine's extra CA certificates."""


def trust_machine_cas(root: Path, source: Path = MACHINE_CAS) -> list[str]:
    """Copies the machine's extra CA certificates into deploy/ca-certificates/, where the Dockerfiles' build stage
    trusts them (as the README says); returns the names copied. Those already there are left as they are."""
    target = root / "deploy" / "ca-certificates"
    copied = []
    for cert in sorted(source.glob("*.crt")) if source.is_dir() else []:
        if not (target / cert.name).exists():
            shutil.copyfile(cert, target / cert.name)
            copied.append(cert.name)
    return copied


__all__ = ["MACHINE_CAS", "image_labels", "tag_of", "trust_machine_cas"]
