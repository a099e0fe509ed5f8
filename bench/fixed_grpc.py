"""`python -m bench.fixed_grpc`: a bare grpc.aio server answering `/pb.Add/Sum` with fixed bytes.

The gRPC twin of the fixed-reply uvicorn: the ceiling of a Python gRPC server on this machine, what the gRPC load
generator reaches when the server does no work at all, so a kit result close to it means the generator (or
gRPC's Python runtime), not the kit, sets the pace. It runs on uvloop, as the kit's services do: on the default
asyncio loop the same server costs about 45% more instructions per call (callgrind, issue 16).
"""

from __future__ import annotations

import argparse

import grpc
import uvloop


async def serve(port: int, reply: bytes) -> None:
    """Serves until cancelled (SIGTERM ends the process)."""

    async def sum_(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return reply

    handler = grpc.method_handlers_generic_handler("pb.Add", {"Sum": grpc.unary_unary_rpc_method_handler(sum_)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed_grpc", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reply-hex", required=True, help="the encoded reply of every call")
    args = parser.parse_args()
    uvloop.run(serve(args.port, bytes.fromhex(args.reply_hex)))


if __name__ == "__main__":
    main()
