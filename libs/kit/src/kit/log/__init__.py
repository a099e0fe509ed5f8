"""Structured logs for the kit and every library in the process: `configure`/`from_env` set the one format
(JSON lines or console), `endpoint_logging` writes one line per request."""

from kit.log.config import DEFAULT_FORMAT, DEFAULT_LEVEL, FORMATS, Config, Format, parse_level, read_config
from kit.log.configure import configure, from_env
from kit.log.middleware import EVENT, endpoint_logging
from kit.log.native import capture_native_stderr

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_LEVEL",
    "EVENT",
    "FORMATS",
    "Config",
    "Format",
    "capture_native_stderr",
    "configure",
    "endpoint_logging",
    "from_env",
    "parse_level",
    "read_config",
]
