"""`python -m bench.fixed_grpc`: a bare grpc.aio server answering `/pb.Add/Sum` with fixed bytes.

The gRPC twin of the fixed-reply nginx: what the gRPC load generator reaches when the server does no work at all,
so a kit result close to it means the generator (or gRPC's Python runtime), not the kit, sets the pace.
"""

from __future__ import annotations

import argparse
import asyncio

import grpc


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
    asyncio.run(serve(args.port, bytes.fromhex(args.reply_hex)))


if __name__ == "__main__":
    main()
