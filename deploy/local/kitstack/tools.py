"""Where the stack's programs are: Consul and Prometheus as `make install` puts them in .tools/ (or on PATH),
and the project's Python for the services."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path


class ToolMissing(RuntimeError):
    """A program the stack needs is not installed."""


@dataclass(frozen=True, slots=True)
class Tools:
    """The programs the local stack runs, and the Prometheus web assets when the Debian build needs them."""

    consul: Path
    prometheus: Path
    python: Path
    web_assets: Path | None

    @classmethod
    def find(cls, root: Path) -> Tools:
        """Looks in `<root>/.tools` first, then PATH; ToolMissing says how to install what is missing."""
        assets = root / ".tools" / "root" / "usr" / "share" / "prometheus" / "web"
        return cls(
            consul=_binary(root, "consul"),
            prometheus=_binary(root, "prometheus"),
            python=_python(root),
            web_assets=assets if assets.is_dir() else None,
        )


def _binary(root: Path, name: str) -> Path:
    local = root / ".tools" / "bin" / name
    if local.exists():
        return local
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed: `make install` fetches it into .tools/")
    return Path(found)


def _python(root: Path) -> Path:
    venv = root / ".venv" / "bin" / "python"
    if venv.exists():
        return venv
    try:
        __import__("addsvc")
    except ImportError:
        raise ToolMissing("the project's venv is missing: `make install` creates .venv/") from None
    return Path(sys.executable)


__all__ = ["ToolMissing", "Tools"]
