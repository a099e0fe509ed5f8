#!/usr/bin/env python3
"""Runs the whole stack: `python deploy/local/stack.py up|down|ps|logs` (see kitstack/cli.py for the variables).
Python puts this script's folder first on sys.path, which is where the kitstack package lives."""

import sys

from kitstack import main

if __name__ == "__main__":
    sys.exit(main())
