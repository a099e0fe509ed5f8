"""The peer: add's HTTP API as a newcomer would write it with bare FastAPI and httpx, not built on the kit."""

from bench.peer.app import make_app

__all__ = ["make_app"]
