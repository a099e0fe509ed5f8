"""Service discovery on Consul's real API (py-consul): register an instance, follow the instances of a service.

`client_from_env()` reads Consul's own variables, CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN. A `Registrar` puts a
`Registration` into the local agent with a health check Consul runs, and keeps it there; a `ConsulInstancer`
follows the passing instances of a service with blocking queries. Give each of them its own client.
"""

from kit.sd.consul.addresses import instances_of
from kit.sd.consul.client import DEFAULT_ADDR, ConsulConfig, address_of, client, client_from_env, parse_addr
from kit.sd.consul.client import read_config as read_consul_config
from kit.sd.consul.errors import ConsulPermissionDenied
from kit.sd.consul.instancer import DEFAULT_GRACE, ConsulInstancer
from kit.sd.consul.registrar import Registrar
from kit.sd.consul.registration import Registration

__all__ = [
    "DEFAULT_ADDR",
    "DEFAULT_GRACE",
    "ConsulConfig",
    "ConsulInstancer",
    "ConsulPermissionDenied",
    "Registrar",
    "Registration",
    "address_of",
    "client",
    "client_from_env",
    "instances_of",
    "parse_addr",
    "read_consul_config",
]
