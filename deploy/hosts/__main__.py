"""`python -m deploy.hosts up|down|ps|faults [NAME...]`: see the package docstring."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .bed import Bed, BedError


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m deploy.hosts", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="make the hosts and start everything on them")
    sub.add_parser("down", help="stop what `up` started and remove the hosts")
    sub.add_parser("ps", help="the hosts, their addresses and what runs there")
    faults = sub.add_parser("faults", help="run the faults under load on a running bed and print the figures")
    faults.add_argument("names", nargs="*", help="which faults (default: all)")
    args = parser.parse_args(argv)
    bed = Bed()
    try:
        if args.command == "up":
            took = bed.up()
            print(f"the bed is up in {took:.1f}s\n\n{bed.summary()}")
        elif args.command == "down":
            bed.down()
        elif args.command == "ps":
            print(bed.summary())
        else:
            from .faults import run_and_report

            return run_and_report(bed, args.names)
    except BedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
