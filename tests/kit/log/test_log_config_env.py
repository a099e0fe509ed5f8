"""LOG_FORMAT and LOG_LEVEL: read and checked (a bad value names its variable), console on a terminal and JSON
elsewhere unless LOG_FORMAT says otherwise, from the process environment by default."""

from __future__ import annotations

import io
import logging

import pytest

from kit.env import ConfigError
from kit.log import Config, from_env, read_config

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.mark.parametrize(
    ("environ", "is_json", "debug_shown"),
    [
        ({}, True, False),
        ({"LOG_FORMAT": "json", "LOG_LEVEL": "debug"}, True, True),
        ({"LOG_FORMAT": "console"}, False, False),
        ({"LOG_FORMAT": " Console ", "LOG_LEVEL": "DEBUG"}, False, True),
    ],
)
def test_from_env_reads_format_and_level(environ: dict[str, str], is_json: bool, debug_shown: bool) -> None:
    out = io.StringIO()
    from_env(service="add", environ=environ, stream=out)

    logging.getLogger("x").debug("detail")
    logging.getLogger("x").info("hello")

    text = out.getvalue().splitlines()
    assert len(text) == (2 if debug_shown else 1)
    assert text[-1].startswith("{") is is_json


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LOG_FORMAT": "pretty"}, "LOG_FORMAT='pretty': want one of json, console"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL='verbose': want a level name such as debug, info or warning"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_config(environ, stream=io.StringIO())
    assert str(caught.value) == message
    with pytest.raises(ConfigError):
        from_env(service="add", environ=environ, stream=io.StringIO())


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "stream", "fmt"),
    [
        ({}, Terminal(), "console"),
        ({}, io.StringIO(), "json"),
        ({"LOG_FORMAT": "json"}, Terminal(), "json"),
        ({"LOG_FORMAT": "console"}, io.StringIO(), "console"),
    ],
)
def test_the_format_is_for_a_person_on_a_terminal_unless_log_format_says(
    environ: dict[str, str], stream: io.StringIO, fmt: str
) -> None:
    assert read_config(environ, stream=stream) == Config(fmt=fmt, level="INFO")  # type: ignore[arg-type]


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "console")
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    out = io.StringIO()
    from_env(service="add", stream=out)

    logging.getLogger("x").warning("dropped")
    logging.getLogger("x").error("kept")

    assert out.getvalue().count("\n") == 1
    assert "kept" in out.getvalue()
    assert not out.getvalue().startswith("{")
