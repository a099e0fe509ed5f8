"""What a service lets hostile clients do at its edge: the limits of both transports and the proxies whose
forwarding headers it believes, read from one service's `<PREFIX>_...` variables (listed in the README)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from kit import env as e
from kit.transport.grpc import GrpcLimits
from kit.transport.http import HttpLimits


@dataclass(frozen=True, slots=True)
class Edge:
    """The wire limits of one service and the proxies it trusts (none by default: `X-Forwarded-For` and
    `Forwarded` from anyone else are ignored, so the peer address is the TCP peer's)."""

    http: HttpLimits = field(default_factory=HttpLimits)
    grpc: GrpcLimits = field(default_factory=GrpcLimits)
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> Edge:
        """Reads `<prefix>_HTTP_*`, `<prefix>_GRPC_*` and `<prefix>_TRUSTED_PROXIES`; unset ones keep the defaults."""
        h, g = HttpLimits(), GrpcLimits()
        return cls(
            http=HttpLimits(
                max_header_bytes=e.integer(f"{prefix}_HTTP_MAX_HEADER_BYTES", h.max_header_bytes, minimum=256, env=env),
                max_headers=e.integer(f"{prefix}_HTTP_MAX_HEADERS", h.max_headers, minimum=1, env=env),
                max_request_line=e.integer(f"{prefix}_HTTP_MAX_REQUEST_LINE", h.max_request_line, minimum=64, env=env),
                header_timeout=e.seconds(f"{prefix}_HTTP_HEADER_TIMEOUT", h.header_timeout, env=env),
                body_timeout=e.seconds(f"{prefix}_HTTP_BODY_TIMEOUT", h.body_timeout, env=env),
                keepalive_timeout=e.seconds(f"{prefix}_HTTP_KEEPALIVE_TIMEOUT", h.keepalive_timeout, env=env),
                max_connections=e.integer(f"{prefix}_HTTP_MAX_CONNECTIONS", h.max_connections, minimum=1, env=env),
                shed_hold=e.seconds(f"{prefix}_HTTP_SHED_HOLD", h.shed_hold, env=env, allow_zero=True),
            ),
            grpc=GrpcLimits(
                max_metadata_bytes=e.integer(
                    f"{prefix}_GRPC_MAX_METADATA_BYTES", g.max_metadata_bytes, minimum=1024, env=env
                ),
                max_concurrent_streams=e.integer(
                    f"{prefix}_GRPC_MAX_CONCURRENT_STREAMS", g.max_concurrent_streams, minimum=1, env=env
                ),
                min_ping_interval=e.seconds(f"{prefix}_GRPC_MIN_PING_INTERVAL", g.min_ping_interval, env=env),
                max_connection_idle=e.seconds(f"{prefix}_GRPC_MAX_CONNECTION_IDLE", g.max_connection_idle, env=env),
                max_connections=e.integer(f"{prefix}_GRPC_MAX_CONNECTIONS", g.max_connections, minimum=1, env=env),
            ),
            trusted_proxies=_networks(f"{prefix}_TRUSTED_PROXIES", env),
        )


def _networks(name: str, env: Mapping[str, str] | None) -> tuple[str, ...]:
    """A comma-separated list of IP addresses or networks (`10.0.0.0/8`); empty when unset."""
    items = tuple(item.strip() for item in e.string(name, "", env=env).split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise e.ConfigError(f"{name}: {item!r} is not an IP address or network") from None
    return items


__all__ = ["Edge"]
