"""What a service says when it cannot listen: the variable that moves the port, and why."""

from __future__ import annotations

import errno

import pytest

from kit.env import ConfigError
from kit.serve import CannotListen


@pytest.mark.parametrize(
    ("code", "want"),
    [
        (
            errno.EADDRINUSE,
            "ADD_GRPC_PORT=8081: 10.0.0.9:8081 is in use; set ADD_GRPC_PORT to a free port (0 takes any)",
        ),
        (errno.EADDRNOTAVAIL, "ADD_GRPC_PORT=8081, ADD_HOST='10.0.0.9': cannot listen on 10.0.0.9:8081: not here"),
    ],
)
def test_names_the_variable_and_the_reason(code: int, want: str) -> None:
    error = CannotListen.at("add", "GRPC", "10.0.0.9", 8081, OSError(code, "not here"))
    assert isinstance(error, ConfigError)
    assert str(error) == want
