"""Makes the repository root importable, so these tests import the launcher as `deploy.local.kitstack` (a plain
folder outside the workspace packages), the dotted name mypy checks it under."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.append(ROOT)
