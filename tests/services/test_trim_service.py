from __future__ import annotations

import asyncio
import time

import pytest

from trimsvc.endpoints import Set, TrimRequest, TrimResponse
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


async def test_set_is_a_service_and_runs_middleware() -> None:
    seen: list[str] = []

    def middleware(method: str):  # type: ignore[no-untyped-def]
        def wrap(next_):  # type: ignore[no-untyped-def]
            async def endpoint(request: TrimRequest) -> TrimResponse:
                seen.append(method)
                return await next_(request)  # type: ignore[no-any-return]

            return endpoint

        return wrap

    endpoints = Set.build(BasicService(), middleware=middleware)
    assert await endpoints.trim_space("a b") == "ab"
    assert seen == ["TrimSpace"]


async def test_delay_is_cancellable() -> None:
    svc = delayed(30.0)(BasicService())
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await svc.trim_space("a b")
    assert time.monotonic() - started < 25  # the 30 s delay was cut short; any busy machine meets 25 s
