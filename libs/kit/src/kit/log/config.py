"""The logging configuration of a process, LOG_FORMAT and LOG_LEVEL, read and checked before anything runs."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TextIO

from kit.env import ConfigError

Format = Literal["json", "console"]
FORMATS: tuple[Format, ...] = ("json", "console")

DEFAULT_FORMAT: Format = "json"
"""The format when LOG_FORMAT is not set and the output is no terminal: JSON lines, for machines. On a terminal
the default is `console`, coloured lines for a person."""

DEFAULT_LEVEL = "INFO"
"""The level when LOG_LEVEL is not set."""


def parse_level(level: str) -> int:
    """The stdlib level number of a name such as `info` or `WARNING`; ValueError for an unknown one."""
    number = logging.getLevelNamesMapping().get(level.strip().upper())
    if number is None:
        raise ValueError(f"unknown log level {level!r}")
    return number


@dataclass(frozen=True, slots=True)
class Config:
    """The logging configuration of a process: the format and the level, read and checked before anything runs."""

    fmt: Format = DEFAULT_FORMAT
    level: str = DEFAULT_LEVEL


def read_config(environ: Mapping[str, str] | None = None, *, stream: TextIO | None = None) -> Config:
    """LOG_FORMAT (`json` or `console`; when unset, `console` if `stream` (stderr by default) is a terminal, else
    `json`) and LOG_LEVEL (a level name, default `INFO`); raises kit.env.ConfigError naming the variable."""
    env = os.environ if environ is None else environ
    raw_format = env.get("LOG_FORMAT", "").strip().lower()
    if not raw_format:
        out = stream if stream is not None else sys.stderr
        fmt: Format = "console" if out.isatty() else DEFAULT_FORMAT
    elif raw_format in FORMATS:
        fmt = raw_format
    else:
        raise ConfigError(f"LOG_FORMAT={env['LOG_FORMAT']!r}: want one of {', '.join(FORMATS)}")
    level = env.get("LOG_LEVEL", "").strip() or DEFAULT_LEVEL
    try:
        parse_level(level)
    except ValueError:
        raise ConfigError(f"LOG_LEVEL={env['LOG_LEVEL']!r}: want a level name such as debug, info or warning") from None
    return Config(fmt=fmt, level=level)
