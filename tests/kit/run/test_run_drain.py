"""kit.run.Servers: a drain that keeps serving for the delay, closes keep-alive connections gracefully, lets
in-flight requests finish and then stops. Real uvicorn and grpc.aio servers on 127.0.0.1, port 0."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kit.run import Actor, Group, HttpServer, Servers, Serving, serving
from kit.transport.grpc import start_server


def app(release: asyncio.Event) -> Starlette:
    async def fast(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def slow(request: Request) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("done")

    return Starlette(routes=[Route("/fast", fast), Route("/slow", slow)])


def until(stop: asyncio.Event) -> Actor:
    async def execute() -> None:
        await stop.wait()

    async def interrupt() -> None:
        stop.set()

    return Actor(execute, interrupt, "stop")


@dataclass(frozen=True, slots=True)
class Running:
    """A group running the servers: its task, the event that stops it, and the servers' HTTP address."""

    run: asyncio.Task[None]
    stop: asyncio.Event
    servers: Servers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.servers.http.port}"


async def started(release: asyncio.Event, *, drain_delay: float, grace: float = 5.0) -> Running:
    flag = Serving()
    http = HttpServer(app(release), port=0, grace=grace, closing=lambda: not flag.is_serving())
    grpc_server, _ = await start_server([], port=0)
    servers = Servers(http, grpc_server, grace=grace, drain_delay=drain_delay)
    stop = asyncio.Event()
    group = Group()
    group.add(until(stop))
    group.add(serving(flag))
    group.add(servers.actor())
    return Running(asyncio.create_task(group.run()), stop, servers)


async def test_during_the_drain_delay_requests_are_served_and_close_their_connection() -> None:
    release = asyncio.Event()
    running = await started(release, drain_delay=30.0)
    async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
        before = await client.get("/fast")
        running.stop.set()
        await asyncio.sleep(0.05)
        during = await client.get("/fast")
        again = await client.get("/fast")  # a new connection is accepted: still listening
    running.servers.hurry.set()  # skip the rest of the delay
    await asyncio.wait_for(running.run, 10)
    assert (before.status_code, before.headers.get("connection")) == (200, None)
    assert (during.status_code, during.headers["connection"]) == (200, "close")
    assert (again.status_code, again.headers["connection"]) == (200, "close")
    async with httpx.AsyncClient(base_url=running.url, timeout=2) as fresh:
        with pytest.raises(httpx.ConnectError):
            await fresh.get("/fast")


async def test_a_request_in_flight_at_the_stop_finishes_and_then_the_server_stops() -> None:
    release = asyncio.Event()
    running = await started(release, drain_delay=0.0)
    async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
        slow = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.1)
        running.stop.set()
        await asyncio.sleep(0.2)
        assert not running.run.done()  # waiting for the request in flight
        release.set()
        response = await slow
    await asyncio.wait_for(running.run, 10)
    assert (response.status_code, response.text, response.headers["connection"]) == (200, "done", "close")


async def test_past_the_grace_period_what_is_left_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL", logger="uvicorn.error")
    release = asyncio.Event()  # never set: the request would wait forever
    running = await started(release, drain_delay=0.0, grace=1.0)
    async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
        slow = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.1)
        running.stop.set()
        await asyncio.wait_for(running.run, 10)
        try:
            status = (await slow).status_code  # uvicorn cancels the handler and answers 500 when it still can
        except httpx.HTTPError:
            status = None
    assert status in (None, 500)
