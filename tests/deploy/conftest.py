"""Makes the repository root importable, so these tests import the deploy scripts (`deploy.prometheus.*`,
`deploy.grafana.*`, plain scripts that live outside any package) by the dotted names mypy checks them under."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.append(ROOT)
