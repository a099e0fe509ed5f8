"""The HTTP wire limits against a real uvicorn on a socket: each limit reached by a raw client, each refusal a JSON
answer and a closed connection, and a well-behaved client served meanwhile. About 3 s in all."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import orjson
import pytest

from kit.errors import Overloaded
from kit.run import HttpServer
from kit.transport.http import HttpLimits
from kit.transport.http.fast import shed_gate

SMALL = HttpLimits(
    max_header_bytes=2048,
    max_headers=20,
    max_request_line=512,
    header_timeout=1.0,
    body_timeout=1.0,
    keepalive_timeout=1.0,
    max_connections=4,
)


async def echo_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    """Answers every request with its client address and the size of its body."""
    assert scope["type"] == "http"
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    client = scope["client"][0] if scope.get("client") else None
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": orjson.dumps({"client": client, "size": size})})


class Served:
    def __init__(self, server: HttpServer, refused: list[tuple[int, str]]) -> None:
        self.server = server
        self.refused = refused
        self.url = f"http://127.0.0.1:{server.port}"


@contextlib.asynccontextmanager
async def serving(limits: HttpLimits = SMALL, **options: Any) -> AsyncIterator[Served]:
    refused: list[tuple[int, str]] = []
    server = HttpServer(echo_app, limits=limits, on_refused=lambda s, m: refused.append((s, m)), **options)
    task = asyncio.create_task(server.serve())  # the socket listens already: connections wait for uvicorn
    try:
        yield Served(server, refused)
    finally:
        server.stop(force=True)
        await asyncio.wait_for(task, 10)


async def raw(port: int, payload: bytes, *, then_wait: float = 5.0) -> bytes:
    """Sends `payload` and reads until the server closes the connection (or `then_wait` passes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), then_wait)
    finally:
        writer.close()


def status_and_error(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    return int(head.split(b" ", 2)[1]), orjson.loads(body)["error"]


async def ok(url: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(url + "/x", content=b"hello")
    assert response.json()["size"] == 5


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", 431, "exceed 2048 bytes"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n", 431, "exceed 2048 bytes"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(30)) + b"\r\n", 431, "more than 20"),
        (b"GET /" + b"a" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request line exceeds 512"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", 408, "headers not received within 1 s"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab", 408, "body not received within 1 s"),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "malformed HTTP request"),
    ],
)
async def test_a_request_past_a_limit_is_refused_and_closed_while_others_are_served(
    payload: bytes, status: int, words: str
) -> None:
    async with serving() as s:
        answer, _ = await asyncio.gather(raw(s.server.port, payload), ok(s.url))
        assert status_and_error(answer)[0] == status
        assert words in status_and_error(answer)[1]
        assert s.refused == [(status, status_and_error(answer)[1])]
        await ok(s.url)


async def test_a_slowloris_holds_no_connection_past_the_header_timeout() -> None:
    async with serving() as s:
        reader, writer = await asyncio.open_connection("127.0.0.1", s.server.port)
        writer.write(b"GET / HTTP/1.1\r\n")
        for _ in range(2):  # a header byte now and then, each resetting nothing: the head's time runs on
            await asyncio.sleep(0.3)
            writer.write(b"X")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert status_and_error(answer)[0] == 408


async def test_an_idle_connection_is_closed_before_and_between_requests() -> None:
    async with serving() as s:
        answer = await raw(s.server.port, b"")  # never a byte: closed after the keep-alive timeout
        assert answer == b""
        reader, writer = await asyncio.open_connection("127.0.0.1", s.server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await asyncio.wait_for(reader.readuntil(b"\r\n0\r\n\r\n"), 5)  # the whole chunked answer
        assert first.startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(reader.read(), 5) == b""  # uvicorn's keep-alive timeout (whole seconds)
        writer.close()


async def test_connections_past_the_cap_are_refused_with_503() -> None:
    # Idle connections held long enough that none is closed for idling before the one past the cap comes.
    async with serving(dataclasses.replace(SMALL, keepalive_timeout=60)) as s:
        held = [await asyncio.open_connection("127.0.0.1", s.server.port) for _ in range(SMALL.max_connections)]
        try:
            answer = await raw(s.server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status_and_error(answer) == (503, "too many connections")
        finally:
            for _, writer in held:
                writer.close()
        await asyncio.sleep(0.1)
        await ok(s.url)


@pytest.mark.parametrize(
    ("trusted", "client"),
    [((), "127.0.0.1"), (("10.0.0.0/8",), "127.0.0.1"), (("127.0.0.1",), "203.0.113.9")],
)
async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(trusted: tuple[str, ...], client: str) -> None:
    async with serving(trusted_proxies=trusted) as s, httpx.AsyncClient() as http:
        response = await http.get(s.url + "/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.json()["client"] == client


_shed = shed_gate(echo_app, lambda: Overloaded(retry_after=1.0))


async def shedding_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    """Sheds /shed through the kit's gate; echoes the rest (admitted)."""
    await (_shed if scope["path"] == "/shed" else echo_app)(scope, receive, send)


SHED_REQUEST = b"POST /shed HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
ADMITTED_REQUEST = b"POST /again HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"


async def head(reader: asyncio.StreamReader) -> bytes:
    """The status line and headers of the next answer on a connection (its body read and dropped)."""
    start = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if b"transfer-encoding: chunked" in start.lower():
        await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 10)
    else:
        length = next(
            int(line.split(b":")[1]) for line in start.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        await asyncio.wait_for(reader.readexactly(length), 10)
    return start


@contextlib.asynccontextmanager
async def shedding_server(hold: float) -> AsyncIterator[HttpServer]:
    """`shedding_app` whose shed answers are held `hold` seconds (drawn between half and all of it)."""
    server = HttpServer(shedding_app, limits=dataclasses.replace(SMALL, shed_hold=hold, keepalive_timeout=90.0))
    task = asyncio.create_task(server.serve())
    try:
        yield server
    finally:
        server.stop(force=True)
        await asyncio.wait_for(task, 10)


async def test_a_connection_shed_again_at_once_gets_its_answer_after_the_hold_while_others_are_served() -> None:
    order: list[str] = []
    async with shedding_server(4.0) as server:  # held 2-4 s: far longer than a round trip here
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(SHED_REQUEST)
        assert (await head(reader)).startswith(b"HTTP/1.1 503")  # the first shed answer comes at once
        writer.write(SHED_REQUEST)  # again at once, ignoring Retry-After

        async def held() -> None:
            assert (await head(reader)).startswith(b"HTTP/1.1 503")
            order.append("held answer")

        waiting = asyncio.create_task(held())
        await ok(f"http://127.0.0.1:{server.port}")  # a fresh connection meanwhile
        order.append("other connection answered")
        await waiting
        writer.close()
    assert order == ["other connection answered", "held answer"]


async def test_a_request_admitted_after_a_shed_is_not_held_and_ends_the_run() -> None:
    async with shedding_server(60.0) as server:  # a held answer would take 30-60 s, past `head`'s 10 s
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(SHED_REQUEST)
        assert (await head(reader)).startswith(b"HTTP/1.1 503")
        writer.write(ADMITTED_REQUEST)  # sent at once after its shed, and admitted: answered at once
        assert (await head(reader)).startswith(b"HTTP/1.1 200")
        writer.write(SHED_REQUEST)  # the admitted one ended the run of sheds: this one begins a new run, not held
        assert (await head(reader)).startswith(b"HTTP/1.1 503")
        writer.close()
