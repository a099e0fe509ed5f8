"""Choosing between Docker Compose and local processes."""

from __future__ import annotations

import pytest

from deploy.local.kitstack.mode import ModeError, choose


@pytest.mark.parametrize(
    ("forced", "local_state", "docker", "want"),
    [
        ("", False, False, "local"),
        ("", False, True, "docker"),
        ("auto", True, True, "local"),  # a recorded local stack wins in auto mode
        ("local", False, True, "local"),
        ("DOCKER", True, False, "docker"),
    ],
)
def test_mode_choice(forced: str, local_state: bool, docker: bool, want: str) -> None:
    assert choose(forced, local_state=local_state, docker=lambda: docker) == want


def test_mode_forced_does_not_ask_docker() -> None:
    def never() -> bool:
        raise AssertionError("docker was asked")

    assert choose("local", local_state=False, docker=never) == "local"


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ModeError, match="MODE='podman'"):
        choose("podman", local_state=False, docker=lambda: False)
