#!/usr/bin/env python3
"""Runs the whole stack: `python deploy/local/stack.py up|down|ps|logs` (see kitstack/cli.py for the variables).
Python puts this script's folder first on sys.path, which is where the kitstack package lives."""

import sys

if __name__ == "__main__":
    try:
        from kitstack import main

        code = main()
    except KeyboardInterrupt:  # Ctrl-C while Python still imports, before main() can answer it
        print("stack: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
