"""What every kit service does the same way in its composition root: recording requests refused while decoding
(`rejections`) or before any route (`refusals`), serving the onion over gRPC and HTTP with health, reflection and a
Consul registration (`server`, binding both ports in `listen`), and a `main` that refuses bad configuration before
anything starts (`startup`). Each service's main.py keeps what is its own: building the onion."""

from kit.serve.listen import CannotListen
from kit.serve.refusals import UNROUTED, refusals
from kit.serve.rejections import observed, rejections
from kit.serve.server import Listening, Onion, listen_and_serve
from kit.serve.startup import Configured, configure, run

__all__ = [
    "UNROUTED",
    "CannotListen",
    "Configured",
    "Listening",
    "Onion",
    "configure",
    "listen_and_serve",
    "observed",
    "refusals",
    "rejections",
    "run",
]
