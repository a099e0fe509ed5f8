"""`python -m deploy.hosts.inside`: questions asked from *inside* one of the bed's hosts.

The machine's own namespace has no route to the bed, and must not send it traffic, so the launcher runs this
program in a host's namespace (`nsenter --net=...`) to wait for readiness or read one JSON document:

    inside wait --timeout 60 --leader 10.213.13.21:8500 --ok http://.../health --passing 10.213.13.21:8500/trim/2
    inside get http://10.213.13.21:8500/v1/status/leader      # prints the JSON body, or null

It reuses the stack launcher's probes and bounded wait. Exit status 0 when ready, 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from deploy.local.kitstack import probes
from deploy.local.kitstack.wait import Check, WaitFailed, wait_until


def peers(consul: str) -> int:
    """How many Raft peers the Consul agent at `consul` knows (0 when it does not answer)."""
    found = probes.get_json(f"http://{consul}/v1/status/peers")
    return len(found) if isinstance(found, list) else 0


def _passing(spec: str) -> Check:
    consul, service, count = spec.rsplit("/", 2)
    return Check(
        f"{service} x{count} passing at {consul}", lambda: probes.consul_passing(consul, service) >= int(count), service
    )


def _peers(spec: str) -> Check:
    consul, count = spec.rsplit("/", 1)
    return Check(f"{count} raft peers at {consul}", lambda: peers(consul) >= int(count), "consul")


def _new_leader(spec: str) -> Check:
    consul, old = spec.rsplit("/", 1)

    def ready() -> bool:
        leader = probes.get_json(f"http://{consul}/v1/status/leader")
        return isinstance(leader, str) and leader not in ("", old)

    return Check(f"a leader other than {old} at {consul}", ready, "consul")


def _leader(consul: str) -> Check:
    return Check(f"leader known at {consul}", lambda: probes.consul_leader(consul), "consul")


def _ok(url: str) -> Check:
    ready: Callable[[], bool] = lambda: probes.ok(url)  # noqa: E731
    return Check(url, ready, url)


def checks(args: argparse.Namespace) -> list[Check]:
    """The checks asked for on the command line."""
    return (
        [_leader(a) for a in args.leader]
        + [_new_leader(s) for s in args.new_leader]
        + [_peers(s) for s in args.peers]
        + [_ok(u) for u in args.ok]
        + [_passing(s) for s in args.passing]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m deploy.hosts.inside")
    sub = parser.add_subparsers(dest="command", required=True)
    wait = sub.add_parser("wait", help="wait until every check passes")
    wait.add_argument("--timeout", type=float, default=60.0)
    wait.add_argument("--leader", action="append", default=[], metavar="CONSUL")
    wait.add_argument("--new-leader", action="append", default=[], metavar="CONSUL/OLD_LEADER_ADDRESS")
    wait.add_argument("--peers", action="append", default=[], metavar="CONSUL/N")
    wait.add_argument("--ok", action="append", default=[], metavar="URL")
    wait.add_argument("--passing", action="append", default=[], metavar="CONSUL/SERVICE/N")
    get = sub.add_parser("get", help="print the JSON body of a 200 answer, or null")
    get.add_argument("url")
    args = parser.parse_args(argv)
    if args.command == "get":
        print(json.dumps(probes.get_json(args.url)))
        return 0
    try:
        wait_until(checks(args), timeout=args.timeout, interval=0.25)
    except WaitFailed as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
