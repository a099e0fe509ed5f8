"""`python -m kitstack` (with deploy/local on the path) is the same as deploy/local/stack.py."""

import sys

from .cli import main

sys.exit(main())
