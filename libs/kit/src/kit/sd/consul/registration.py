"""What one instance tells Consul about itself: the service definition and the health check Consul runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kit.sd.consul.addresses import host_port


@dataclass(frozen=True)
class Registration:
    """One instance of a service as Consul should know it.

    `address`/`port` are the instance's gRPC address, what instancers hand to clients; `http_port` travels in
    `Meta`. Consul itself runs the health check: `"grpc"` asks the standard gRPC health service at address:port,
    `"http"` gets `/health` on address:http_port. An instance whose check stays critical for `deregister_after`
    is removed by Consul (Consul reaps at most once a minute, whatever the value). The ID is stable for a given
    name, address and port, so a restarted instance replaces its own registration instead of adding one.
    """

    name: str
    address: str
    port: int
    http_port: int
    tags: tuple[str, ...] = ("grpc", "http")
    meta: Mapping[str, str] = field(default_factory=dict, hash=False)
    check: Literal["grpc", "http"] = "grpc"
    check_interval: str = "1s"
    check_timeout: str = "1s"
    deregister_after: str = "10s"
    service_id: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("Registration needs a service name")
        if not self.address:
            raise ValueError(f"Registration of {self.name!r} needs an address")
        for what, port in (("port", self.port), ("http_port", self.http_port)):
            if not 0 < port < 65536:
                raise ValueError(f"Registration of {self.name!r}: {what}={port} is not a bound TCP port")
        if self.check not in ("grpc", "http"):
            raise ValueError(f"Registration of {self.name!r}: check={self.check!r}, want 'grpc' or 'http'")

    @property
    def id(self) -> str:
        """The service ID: `service_id` when given, else `name-address-port`."""
        return self.service_id or f"{self.name}-{self.address}-{self.port}"

    def check_definition(self) -> dict[str, Any]:
        """The check as Consul's agent API takes it. Keys are spelled the way Consul 1.8 decodes them: it refuses
        py-consul's `grpc_use_tls` ("unknown field"), so this does not use `consul.Check.grpc`."""
        timing = {
            "Interval": self.check_interval,
            "Timeout": self.check_timeout,
            "DeregisterCriticalServiceAfter": self.deregister_after,
        }
        if self.check == "grpc":
            target = host_port(self.address, self.port)
            return {"Name": f"gRPC health of {target}", "GRPC": target, "GRPCUseTLS": False, **timing}
        url = f"http://{host_port(self.address, self.http_port)}/health"
        return {"Name": f"GET {url}", "HTTP": url, "Method": "GET", **timing}

    def register_arguments(self) -> dict[str, Any]:
        """Keyword arguments of py-consul's `agent.service.register` for this instance."""
        return {
            "name": self.name,
            "service_id": self.id,
            "address": self.address,
            "port": self.port,
            "tags": list(self.tags),
            "meta": {**self.meta, "http_port": str(self.http_port)},
            "check": self.check_definition(),
            "replace_existing_checks": True,
        }
