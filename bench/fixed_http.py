"""`python -m bench.fixed_http`: uvicorn (uvloop, httptools) answering every request with a fixed `{"v":3}`.

The ceiling of a Python HTTP service on this machine: a bare ASGI callable, no framework, no parsing of the body,
no middleware. The kit's HTTP /sum runs on the same uvicorn, so the ratio of the two is what the kit's layers cost.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from bench.plan import FIXED_HTTP_REPLY

_BODY = FIXED_HTTP_REPLY.encode()
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())],
}
_REPLY = {"type": "http.response.body", "body": _BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the request body to its end (as any server that answers a POST must), then sends the fixed reply."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send(_START)
    await send(_REPLY)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed_http", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
