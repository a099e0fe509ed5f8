"""A bad environment variable stops a service before it starts: one line on stderr naming the variable, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


# Both services start through the same kit code: add tries every variable, trim one (each run costs an interpreter
# start with every import, about 1.5 s on an idle machine).
@pytest.mark.parametrize(
    ("module", "variable", "value"),
    [
        ("addsvc", "LOG_FORMAT", "pretty"),
        ("addsvc", "LOG_LEVEL", "verbose"),
        ("addsvc", "CONSUL_HTTP_ADDR", "127.0.0.1:abc"),
        ("trimsvc", "CONSUL_HTTP_ADDR", "127.0.0.1:abc"),
    ],
)
def test_a_bad_variable_gives_one_line_naming_it_and_exit_2(module: str, variable: str, value: str) -> None:
    env = {**os.environ, variable: value}
    done = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{module}: {variable}={value!r}: want ")
    assert done.stdout == ""
