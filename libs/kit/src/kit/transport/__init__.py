"""Transports: adapters that put endpoints on a wire (`kit.transport.http`, `kit.transport.grpc`) and clients that
turn a remote method back into an endpoint. Import the subpackage you need; this package exports nothing itself."""

__all__: list[str] = []
