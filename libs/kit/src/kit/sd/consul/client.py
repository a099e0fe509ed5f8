"""Making a py-consul client from Consul's own environment variables, as the `consul` CLI reads them."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

import consul

from kit.env import ConfigError

DEFAULT_ADDR = "127.0.0.1:8500"
"""Where a local Consul agent answers when CONSUL_HTTP_ADDR is not set."""

DEFAULT_TIMEOUT = 10.0
"""Seconds a request to Consul may take before it counts as failed; blocking queries get their wait on top."""


def parse_addr(addr: str) -> tuple[str | None, str, int]:
    """Splits `host:port`, `http://host:port` or `https://host:port` (port defaulting to 8500) into scheme (None
    when not given), host and port; raises ConfigError naming CONSUL_HTTP_ADDR for anything else."""
    text = addr.strip()
    parts = urllib.parse.urlsplit(text if "://" in text else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("", "http", "https") or not parts.hostname or port == -1 or parts.path not in ("", "/"):
        raise ConfigError(f"CONSUL_HTTP_ADDR={addr!r}: want host:port or http(s)://host:port")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6, ready for a URL
    return parts.scheme or None, host, 8500 if port is None else port


@dataclass(frozen=True, slots=True)
class ConsulConfig:
    """Where the local Consul agent answers and the ACL token to use: Consul's own variables, read once."""

    scheme: str = "http"
    host: str = "127.0.0.1"
    port: int = 8500
    token: str | None = None


def read_config(env: Mapping[str, str] | None = None) -> ConsulConfig:
    """CONSUL_HTTP_ADDR (default 127.0.0.1:8500), CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL, as the `consul` CLI reads
    them; raises ConfigError naming CONSUL_HTTP_ADDR when it is not an address."""
    environ = os.environ if env is None else env
    scheme, host, port = parse_addr(environ.get("CONSUL_HTTP_ADDR", "").strip() or DEFAULT_ADDR)
    if scheme is None:
        scheme = "https" if environ.get("CONSUL_HTTP_SSL", "").strip().lower() == "true" else "http"
    return ConsulConfig(scheme, host, port, environ.get("CONSUL_HTTP_TOKEN", "").strip() or None)


def client(cfg: ConsulConfig, *, timeout: float = DEFAULT_TIMEOUT) -> consul.Consul:
    """A py-consul client for the agent `cfg` names. Give each registrar and instancer a client of its own: a
    client holds one HTTP session, which is not meant to be shared between threads."""
    made = consul.Consul(host=cfg.host, port=cfg.port, scheme=cfg.scheme, connections_timeout=timeout)
    # py-consul lets CONSUL_HTTP_TOKEN override a token passed to it; here the configuration wins.
    made.token = cfg.token
    return made


def client_from_env(
    *,
    addr: str | None = None,
    token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> consul.Consul:
    """A py-consul client for the agent at `addr` (else CONSUL_HTTP_ADDR, else 127.0.0.1:8500) with the ACL token
    `token` (else CONSUL_HTTP_TOKEN, else none). CONSUL_HTTP_SSL=true selects https when `addr` names no scheme."""
    environ = dict(os.environ if env is None else env)
    if addr is not None:
        environ["CONSUL_HTTP_ADDR"] = addr
    if token is not None:
        environ["CONSUL_HTTP_TOKEN"] = token
    return client(read_config(environ), timeout=timeout)


def address_of(client: consul.Consul) -> str:
    """The base URL a client talks to, for log lines and error messages."""
    return str(client.http.base_uri)
