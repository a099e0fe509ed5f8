"""Request ids: the header that carries one, and the id a request is known by, the caller's when it is sane, else a
fresh one."""

from __future__ import annotations

import random

REQUEST_ID_HEADER = "x-request-id"
"""The HTTP header and gRPC metadata key that carries the request id (lower case, as gRPC requires)."""

MAX_REQUEST_ID_LENGTH = 128


def new_request_id() -> str:
    """Makes a fresh, unique request id: 32 hex digits, the shape of a uuid4's hex."""
    # An id must be unique, not secret: 128 bits of the Mersenne Twister are as unlikely to collide as a uuid4,
    # without the urandom syscall uuid4 makes on every call. `random` reseeds itself in a forked child.
    return f"{random.getrandbits(128):032x}"


def sanitize_request_id(value: str | None) -> str:
    """Returns the incoming id when it is a sane token, else a fresh one (never trust a header to be short)."""
    if value and len(value) <= MAX_REQUEST_ID_LENGTH and value.isascii() and value.isprintable():
        return value
    return new_request_id()
