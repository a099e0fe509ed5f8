from __future__ import annotations

import asyncio
import time

import pytest

from kit.endpoint import (
    client,
    deadline,
    new_request_id,
    remaining,
    request_id,
    request_scope,
    sanitize_request_id,
    transport,
)


def test_outside_a_request_nothing_is_set() -> None:
    assert request_id() is None
    assert deadline() is None
    assert remaining() is None
    assert transport() == "local"
    assert client() is None


def test_scope_sets_and_restores_everything() -> None:
    with request_scope(request_id="abc", timeout=5, transport="http", client="k1") as rid:
        assert rid == "abc" == request_id()
        assert transport() == "http"
        assert client() == "k1"
        left = remaining()
        assert left is not None and 4.5 < left <= 5
    assert request_id() is None and deadline() is None and transport() == "local" and client() is None


def test_missing_id_is_made_and_unique() -> None:
    with request_scope() as first, request_scope() as second:
        assert first and second and first != second


@pytest.mark.parametrize("bad", ["", "x" * 129, "tab\there", "naïve", "new\nline"])
def test_unsafe_incoming_ids_are_replaced(bad: str) -> None:
    made = sanitize_request_id(bad)
    assert made != bad and len(made) == 32


def test_deadline_only_shrinks() -> None:
    with request_scope(timeout=1.0):
        outer = deadline()
        with request_scope(timeout=10.0):
            assert deadline() == outer
        with request_scope(timeout=0.1):
            inner = deadline()
            assert inner is not None and outer is not None and inner < outer


def test_remaining_never_negative() -> None:
    with request_scope(timeout=1.0):
        current = deadline()
        assert current is not None
        assert remaining(now=current + 5) == 0.0
        assert remaining(now=current - 0.25) == pytest.approx(0.25)


async def test_scope_follows_into_tasks_and_stays_isolated() -> None:
    async def read() -> str | None:
        await asyncio.sleep(0)
        return request_id()

    async def one(rid: str) -> str | None:
        with request_scope(request_id=rid):
            return await asyncio.create_task(read())

    assert list(await asyncio.gather(one("r1"), one("r2"))) == ["r1", "r2"]


def test_monotonic_clock_is_used() -> None:
    before = time.monotonic()
    with request_scope(timeout=2.0):
        current = deadline()
        assert current is not None and before + 2.0 <= current <= time.monotonic() + 2.0


def test_new_request_ids_are_32_hex_digits_and_do_not_repeat() -> None:
    ids = [new_request_id() for _ in range(10_000)]

    assert all(len(rid) == 32 and int(rid, 16) >= 0 for rid in ids)
    assert len(set(ids)) == len(ids)
