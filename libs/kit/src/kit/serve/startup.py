"""What a service's `main` does around its event loop: read and check every setting before the loop starts, configure
logging, run the loop; a bad setting, or a port that cannot be listened on, is one line naming its variable and
exit status 2."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

import uvloop

from kit import log as kitlog
from kit import tracing as kittracing
from kit.env import ConfigError
from kit.serve.listen import CannotListen
from kit.tracing import Tracing

C = TypeVar("C", bound="Configured")


class Configured(Protocol):
    """What `configure` needs of a service's configuration: how to log."""

    @property
    def log(self) -> kitlog.Config: ...


def configure(service: str, load: Callable[[], C]) -> tuple[C, Tracing]:
    """What a service's `main` does before its event loop starts: reads its configuration (`load`: every setting,
    logging, Consul, rate limits and shedding included) and its tracing, exits with status 2 and one line naming the
    variable when any is bad, then configures logging as the configuration says."""
    try:
        cfg = load()
        tracing = kittracing.from_env(service=service)
    except (ConfigError, ValueError, kittracing.MissingExporter) as exc:
        print(f"{service}svc: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    # In a JSON log, what gRPC core writes in C to descriptor 2 becomes JSON lines too; call this once, from main.
    stream = kitlog.capture_native_stderr(service=service) if cfg.log.fmt == "json" else None
    kitlog.configure(service=service, fmt=cfg.log.fmt, level=cfg.log.level, stream=stream)
    return cfg, tracing


def run(service: str, main: Coroutine[Any, Any, None]) -> None:
    """Runs a service's `serve(...)` on uvloop until it returns. A port it cannot listen on ends the process with
    one error line naming the variable that sets the port, and exit status 2, as a bad setting does."""
    try:
        uvloop.run(main)
    except CannotListen as exc:
        logging.getLogger(f"{service}svc").error(str(exc))
        raise SystemExit(2) from None


__all__ = ["Configured", "configure", "run"]
