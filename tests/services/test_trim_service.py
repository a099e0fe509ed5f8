from __future__ import annotations

import asyncio
import time

import pytest

from kit import ratelimit
from kit.env import ConfigError
from trimsvc.config import Config
from trimsvc.endpoints import Set, make_trim_space_endpoint
from trimsvc.middleware import delayed
from trimsvc.service import BasicService


@pytest.mark.parametrize(
    ("s", "want"),
    [
        ("1 0 1", "101"),
        ("   ", ""),
        ("", ""),
        ("no-spaces", "no-spaces"),
        ("tab\tand\nnewline stay", "tab\tand\nnewlinestay"),
        ("non\u00a0breaking space", "non\u00a0breakingspace"),
        ("日本 語 ", "日本語"),
    ],
)
async def test_trim_space_removes_only_u0020(s: str, want: str) -> None:
    assert await BasicService().trim_space(s) == want


async def test_set_is_a_service() -> None:
    endpoints = Set(trim_space_endpoint=make_trim_space_endpoint(BasicService()))
    assert await endpoints.trim_space("a b") == "ab"


async def test_delay_is_cancellable() -> None:
    svc = delayed(30.0)(BasicService())
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await svc.trim_space("a b")
    assert time.monotonic() - started < 25  # the 30 s delay was cut short; any busy machine meets 25 s


def test_config_reads_rate_limit_and_shedding() -> None:
    cfg = Config.from_env({"TRIM_RATELIMIT_TRIMSPACE": "5/2", "TRIM_SHED": "false"})
    assert cfg.ratelimits == {"TrimSpace": ratelimit.Config(total=ratelimit.Limit(rate=5.0, burst=2))}
    assert cfg.shed.enabled is False


@pytest.mark.parametrize("variable", ["TRIM_RATELIMIT_TRIMSPACE", "TRIM_SHED_LAG"])
def test_config_refuses_a_bad_value_naming_it(variable: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable}="):
        Config.from_env({variable: "x"})
