"""What can go wrong talking to Consul, as the Consul registrar and instancer see it."""

from __future__ import annotations

import consul
import requests


class ConsulPermissionDenied(RuntimeError):
    """Consul refused a request for want of a (valid) ACL token: a configuration problem, not an outage.

    The message names the token variable to fix, `CONSUL_HTTP_TOKEN`.
    """


CONSUL_ERRORS: tuple[type[Exception], ...] = (requests.RequestException, consul.ConsulException)
"""The errors of a py-consul call that mean Consul could not be reached or did not answer as it should."""


def is_unknown_service(exc: Exception) -> bool:
    """True for Consul's answer to deregistering a service it does not have (ACL mode answers 500 for that)."""
    return isinstance(exc, consul.ConsulException) and "Unknown service" in str(exc)
