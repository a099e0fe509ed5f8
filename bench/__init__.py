"""`make bench`: the kit's add service measured side by side with a bare FastAPI peer, on 127.0.0.1.

`python -m bench.run` starts every process, drives it with Debian's wrk (HTTP) and a grpc.aio client (gRPC), and
writes bench/results/results.{md,json} and chart.png. Nothing here is part of the kit.
"""

__all__: list[str] = []
