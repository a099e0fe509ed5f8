"""A bad environment variable, or a port that another process holds, stops a service before it serves: one line on
stderr naming the variable, exit 2."""

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


# Both ports of add (the HTTP one is bound first, the gRPC one second, with HTTP already bound), one of trim.
@pytest.mark.parametrize(
    ("module", "variable"), [("addsvc", "ADD_HTTP_PORT"), ("addsvc", "ADD_GRPC_PORT"), ("trimsvc", "TRIM_GRPC_PORT")]
)
def test_a_busy_port_gives_one_line_naming_its_variable_and_exit_2(module: str, variable: str, held: int) -> None:
    prefix = variable.split("_")[0]
    env = {**os.environ, f"{prefix}_HTTP_PORT": "0", f"{prefix}_GRPC_PORT": "0", f"{prefix}_REGISTER": "false"}
    env.update({variable: str(held), "TRIM_INSTANCES": "127.0.0.1:1", "LOG_FORMAT": "json"})
    done = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()  # no traceback, no gRPC core lines, no "Event loop is closed"
    assert '"level":"error"' in line
    assert f"{variable}={held}: 127.0.0.1:{held} is in use; set {variable} to a free port" in line
