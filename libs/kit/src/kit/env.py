"""Reading configuration from environment variables, with errors that name the variable and what it wants."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class ConfigError(ValueError):
    """A configuration variable has a value the service cannot use."""


def _raw(env: Mapping[str, str] | None, name: str) -> str | None:
    value = (os.environ if env is None else env).get(name)
    return None if value is None or value.strip() == "" else value.strip()


def string(name: str, default: str, *, env: Mapping[str, str] | None = None) -> str:
    """The variable's value, or `default` when unset or empty."""
    value = _raw(env, name)
    return default if value is None else value


def integer(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """The variable as an integer within [minimum, maximum], or `default` when unset."""
    value = _raw(env, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: want an integer") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ConfigError(f"{name}={value!r}: want an integer in [{minimum}, {maximum}]")
    return number


def port(name: str, default: int, *, env: Mapping[str, str] | None = None) -> int:
    """A TCP port; 0 means any free port."""
    return integer(name, default, minimum=0, maximum=65535, env=env)


def seconds(name: str, default: float, *, allow_zero: bool = False, env: Mapping[str, str] | None = None) -> float:
    """A positive duration in seconds (decimals allowed; 0 too with `allow_zero`), or `default` when unset."""
    value = _raw(env, name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: want a number of seconds") from None
    if not (number >= 0 if allow_zero else number > 0) or number == float("inf"):
        want = "a finite number of seconds, 0 or more" if allow_zero else "a positive, finite number of seconds"
        raise ConfigError(f"{name}={value!r}: want {want}")
    return number


def number(
    name: str,
    default: float,
    *,
    minimum: float = 0.0,
    maximum: float = float("inf"),
    env: Mapping[str, str] | None = None,
) -> float:
    """A finite number within [minimum, maximum] (decimals allowed), or `default` when unset."""
    value = _raw(env, name)
    if value is None:
        return default
    try:
        result = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: want a number") from None
    if not minimum <= result <= maximum or result == float("inf"):
        raise ConfigError(f"{name}={value!r}: want a finite number in [{minimum:g}, {maximum:g}]")
    return result


def flag(name: str, default: bool, *, env: Mapping[str, str] | None = None) -> bool:
    """A boolean: 1/true/yes/on or 0/false/no/off."""
    value = _raw(env, name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r}: want true or false")


def addresses(name: str, *, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """A comma-separated list of host:port addresses; empty when unset."""
    value = _raw(env, name)
    if value is None:
        return ()
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in items:
        host, sep, number = item.rpartition(":")
        if not sep or not host or not number.isdigit() or not 0 < int(number) < 65536:
            raise ConfigError(f"{name}: {item!r} is not host:port")
    return items


def advertised_host(listen_host: str) -> str:
    """The address others should use to reach a server listening on `listen_host`: itself, unless it listens on
    every interface, in which case this host's own address (a container's, for instance)."""
    if listen_host in ("0.0.0.0", "::", ""):
        try:
            return socket.gethostbyname(socket.gethostname())
        except OSError:
            return "127.0.0.1"
    return listen_host


__all__ = ["ConfigError", "addresses", "advertised_host", "flag", "integer", "number", "port", "seconds", "string"]
