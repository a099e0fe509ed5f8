"""`python -m deploy.swarm up|down|ps|drain|stack`: see deploy/swarm/cluster.py and docs/multihost.md."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .stack import STACK, load_compose, render


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.swarm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="3 engines in 3 namespaces, one swarm, a registry, the stack deployed")
    up.add_argument("--trims", type=int, default=3)
    sub.add_parser("down", help="remove the stack and the swarm, stop the engines, remove the namespaces")
    sub.add_parser("ps", help="the nodes, their addresses and where the trims run")
    drain = sub.add_parser("drain", help="drain the engine of a trim under load and print the figures")
    drain.add_argument("--rate", type=float, default=10.0)
    stack = sub.add_parser("stack", help="print the stack file derived from deploy/docker-compose.yml")
    stack.add_argument("--write", action="store_true", help=f"write it to {STACK}")
    args = parser.parse_args(argv)
    if args.command == "stack":
        text = render(load_compose())
        if args.write:
            STACK.write_text(text)
        else:
            print(text, end="")
        return 0
    from .cluster import Swarm, SwarmError

    swarm = Swarm()
    try:
        if args.command == "up":
            try:
                swarm.up(trims=args.trims)
            except BaseException:
                print("up failed: `make swarm-down` removes what was made", file=sys.stderr)
                raise
            print(swarm.summary())
        elif args.command == "down":
            swarm.down()
        elif args.command == "ps":
            print(swarm.summary())
        else:
            from .drain import drain_under_load

            print(json.dumps(drain_under_load(swarm, rate=args.rate), indent=1))
    except SwarmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
