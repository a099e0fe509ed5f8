"""`stack.py up|restart|down|ps|logs`: the command line behind `make up`, `make restart`, `make down`, `make ps`
and `make logs`.

| variable | default | meaning |
|---|---|---|
| MODE | auto | `local` (processes), `docker` (Compose), or auto: Docker when its engine answers |
| TRIM | 2 | trim instances `up` starts |
| STACK_RUN_DIR | `<repo>/.run` | the local stack's state, logs and Prometheus data |
| STACK_UP_TIMEOUT | 60 | seconds `up` waits for every part to be healthy |
| STACK_STOP_TIMEOUT | 15 | seconds `down` waits after SIGTERM before SIGKILL |
| STACK_LOG_MAX_BYTES, STACK_LOG_BACKUPS | 10000000, 3 | each part's log rotates at this size, keeping this many |
| STACK_*_PORT, STACK_PORT_OFFSET | see kitstack.ports | where each part listens (both modes) |
| COMPOSE_PROFILES | extras | Docker mode: the compose profiles; `extras` runs Grafana and Jaeger |
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import docker, local
from .launch import TOKENS_FILE, extra_services
from .mode import ModeError, choose, docker_answers
from .ports import PortError, Ports
from .procs import Rotation
from .state import RunDir, StateError
from .tools import ToolMissing

ROOT = Path(__file__).resolve().parents[3]
"""The repository: deploy/local/kitstack/cli.py is three folders down."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stack.py", description="Run the whole stack: Consul, Prometheus, add, trims."
    )
    parser.add_argument("--mode", default=None, help="auto, local or docker (default: $MODE, else auto)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    up = verbs.add_parser("up", help="start the stack and wait until it is healthy")
    up.add_argument("--trim", type=int, default=None, help="trim instances (default: $TRIM, else 2)")
    restart = verbs.add_parser("restart", help="stop the named parts and start them again")
    restart.add_argument("parts", nargs="*", help="e.g. add, trim-1, consul, prometheus")
    scale = verbs.add_parser("scale", help="Docker Compose: run this many trims, leaving the rest as it is")
    scale.add_argument("--trim", type=int, default=None, help="trim instances (default: $TRIM, else 2)")
    verbs.add_parser("down", help="stop exactly what `up` started")
    verbs.add_parser("ps", help="each part: pid, alive, ports, health")
    logs = verbs.add_parser("logs", help="the tail of every part's log, or of the named parts")
    logs.add_argument("parts", nargs="*", help="e.g. add, trim-1, consul, prometheus")
    logs.add_argument("-n", "--lines", type=int, default=40)
    logs.add_argument("-f", "--follow", action="store_true", help="keep following (tail -F)")
    return parser


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ModeError(f"{name}={raw!r}: want a number of seconds") from None
    if not value > 0:
        raise ModeError(f"{name}={raw!r}: want a positive number of seconds")
    return value


def _trims(arg: int | None, env: Mapping[str, str]) -> int:
    if arg is not None:
        return arg
    raw = env.get("TRIM", "").strip()
    try:
        return int(raw) if raw else 2
    except ValueError:
        raise ModeError(f"TRIM={raw!r}: want a number of trim instances") from None


def options(env: Mapping[str, str], *, trims: int = 2) -> local.Options:
    """The local stack's options from the environment."""
    run_dir = Path(env.get("STACK_RUN_DIR", "").strip() or ROOT / ".run")
    return local.Options(
        root=ROOT,
        run_dir=RunDir(run_dir.resolve()),
        ports=Ports.from_env(env),
        trims=trims,
        up_timeout=_seconds(env, "STACK_UP_TIMEOUT", 60.0),
        stop_timeout=_seconds(env, "STACK_STOP_TIMEOUT", 15.0),
        env=env,
        rotation=Rotation(_count(env, "STACK_LOG_MAX_BYTES", 10_000_000), _count(env, "STACK_LOG_BACKUPS", 3)),
    )


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ModeError(f"{name}={raw!r}: want a whole number") from None
    if value < 1:
        raise ModeError(f"{name}={raw!r}: want a positive number")
    return value


INTERRUPTED = 130
"""The exit status after Ctrl-C (128 + SIGINT), as a shell reports an interrupted command."""


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Runs one verb; 0 on success, 1 with a message on stderr when it cannot, `INTERRUPTED` after Ctrl-C (one
    line, no traceback: a launch stops what it started itself, and whatever the state still records `down` stops).
    """
    try:
        return _main(argv, env)
    except KeyboardInterrupt:
        print("stack: interrupted; `make down` stops any part that was already started", file=sys.stderr)
        return INTERRUPTED


def _main(argv: Sequence[str] | None, env: Mapping[str, str] | None) -> int:
    args = _parser().parse_args(argv)
    env = dict(os.environ if env is None else env)
    try:
        opts = options(env, trims=_trims(getattr(args, "trim", None), env))
        forced = args.mode if args.mode is not None else env.get("MODE", "")
        mode = choose(forced, local_state=opts.run_dir.state_path.exists())
        if mode == "docker":
            return _docker(args, opts)
        return _local(args, opts)
    except (local.StackError, PortError, ModeError, StateError, ToolMissing) as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1


def _local(args: argparse.Namespace, opts: local.Options) -> int:
    if args.verb == "up":
        local.up(opts)
    elif args.verb == "restart":
        local.restart(opts, args.parts)
    elif args.verb == "down":
        local.down(opts)
    elif args.verb == "ps":
        local.ps(opts)
    elif args.verb == "scale":
        raise local.StackError("scale works under Docker Compose (MODE=docker); locally: make down, make up TRIM=N")
    elif args.follow:
        files = [str(opts.run_dir.logs / f"{p}.log") for p in args.parts] or [
            str(f) for f in sorted(opts.run_dir.logs.glob("*.log"))
        ]
        os.execvp("tail", ["tail", "-n", str(args.lines), "-F", *files])
    else:
        local.logs(opts, args.parts, lines=args.lines)
    return 0


def _docker(args: argparse.Namespace, opts: local.Options) -> int:
    if not docker_answers():
        raise local.StackError("MODE=docker, but no Docker engine answers (`docker info` fails); try MODE=local")
    env = dict(os.environ if opts.env is None else opts.env)
    tokens_file = opts.run_dir.path / TOKENS_FILE  # the same place as the local stack's
    services = [extra.name for extra in extra_services(opts)]  # services/*/stack.toml: a token each
    timeout = int(opts.up_timeout * 2)
    if args.verb == "up":
        docker.up(ROOT, env, tokens_file, trims=opts.trims, timeout=timeout, services=services)
        return 0
    if args.verb == "restart":
        return docker.run(ROOT, env, tokens_file, "restart", args.parts, timeout=timeout, services=services)
    if args.verb == "scale":
        return docker.run(ROOT, env, tokens_file, "scale", trims=opts.trims, timeout=timeout, services=services)
    if args.verb == "logs":
        extra = ["--tail", str(args.lines), *(["-f"] if args.follow else []), *args.parts]
        return docker.run(ROOT, env, tokens_file, "logs", extra, services=services)
    return docker.run(ROOT, env, tokens_file, args.verb, services=services)


__all__ = ["INTERRUPTED", "ROOT", "main", "options"]
