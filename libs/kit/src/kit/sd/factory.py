"""Factories: what an endpointer calls to make the endpoint of one instance, and to release it again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

from kit.endpoint import Endpoint, Req, Resp

Closer: TypeAlias = Callable[[], Awaitable[None]]
"""Releases what a factory opened for one instance (a channel, a connection pool)."""

Factory: TypeAlias = Callable[[str], tuple[Endpoint[Req, Resp], Closer]]
"""Makes the endpoint for one instance (`host:port`) and the closer that releases it."""
