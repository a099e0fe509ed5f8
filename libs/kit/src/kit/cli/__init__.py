"""`kit`: the command installed with the kit. Calls any gRPC method of a running service through server
reflection, with JSON in and out, so no `.proto` file and no grpcurl are needed:

    kit call 127.0.0.1:8081 pb.Add/Sum '{"a": 1, "b": 2}'
    kit list 127.0.0.1:8081              # services; `kit list ADDR pb.Add` lists its methods
    kit health 127.0.0.1:8081 [pb.Add]   # SERVING, NOT_SERVING...; exit 1 unless SERVING

Exit status: 0 done, 1 the server answered with an error status (printed as `CODE: details` on stderr) or is not
reachable, 2 the request is wrong (unknown method, bad JSON).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import grpc

from kit.cli.reflect import Reflection, UsageError, health


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--timeout", type=float, default=10.0, help="seconds for the whole call (default 10)")
    parser = argparse.ArgumentParser(prog="kit", description="Call the kit's services over gRPC, JSON in and out.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    call = verbs.add_parser(
        "call", parents=[common], help='call a unary method: kit call ADDR pb.Add/Sum \'{"a": 1, "b": 2}\''
    )
    call.add_argument("address", help="host:port of the gRPC server")
    call.add_argument("method", help="SERVICE/METHOD, e.g. pb.Add/Sum")
    call.add_argument("json", nargs="?", default="{}", help="the request as JSON ('-' reads stdin; default {})")
    call.add_argument("-H", "--header", action="append", default=[], help="metadata 'key: value' (repeatable)")
    listing = verbs.add_parser("list", parents=[common], help="the services, or one service's methods")
    listing.add_argument("address")
    listing.add_argument("service", nargs="?")
    check = verbs.add_parser("health", parents=[common], help="grpc.health.v1 status of the server or of one service")
    check.add_argument("address")
    check.add_argument("service", nargs="?", default="")
    return parser


def _headers(raw: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for item in raw:
        key, sep, value = item.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"header {item!r}: want 'key: value'")
        out.append((key.strip().lower(), value.strip()))
    return out


def run(args: argparse.Namespace) -> str:
    """Does what `args` asks and returns what to print."""
    with grpc.insecure_channel(args.address) as channel:
        if args.verb == "health":
            return health(channel, args.service, timeout=args.timeout)
        reflection = Reflection(channel)
        if args.verb == "list":
            return "\n".join(reflection.describe(args.service) if args.service else reflection.services())
        body = sys.stdin.read() if args.json == "-" else args.json
        return reflection.call(args.method, body, timeout=args.timeout, metadata=_headers(args.header))


def main(argv: Sequence[str] | None = None) -> int:
    """The console script's entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        answer = run(args)
    except UsageError as exc:
        print(f"kit: {exc}", file=sys.stderr)
        return 2
    except grpc.RpcError as exc:
        call = exc if isinstance(exc, grpc.Call) else None
        what = f"{call.code().name}: {call.details() or 'no details'}" if call is not None else str(exc)
        print(f"kit: {what}", file=sys.stderr)
        return 1
    print(answer)
    return 1 if args.verb == "health" and answer != "SERVING" else 0


__all__ = ["main", "run"]
