"""What every kit service does the same way in its composition root: recording refused requests (`refusals`),
serving the onion over gRPC and HTTP with health, reflection and a Consul registration (`server`), and a `main`
that refuses bad configuration before anything starts (`startup`). Each service's main.py keeps what is its own:
building the onion."""

from kit.serve.refusals import UNROUTED, observed, refusals, rejections
from kit.serve.server import Listening, Onion, serve
from kit.serve.startup import CannotListen, Configured, configure, run

__all__ = [
    "UNROUTED",
    "CannotListen",
    "Configured",
    "Listening",
    "Onion",
    "configure",
    "observed",
    "refusals",
    "rejections",
    "run",
    "serve",
]
