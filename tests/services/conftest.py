"""Fixtures that build each service's whole onion in-process, served on 127.0.0.1 port 0."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from prometheus_client import CollectorRegistry

from addsvc import main as addmain
from addsvc.config import Config as AddConfig
from kit.metrics import Metrics
from kit.run import Serving
from kit.sd import FixedInstancer
from kit.transport.grpc import start_server
from support.onion import Served
from trimsvc import client as trimclient
from trimsvc import main as trimmain
from trimsvc.config import Config as TrimConfig


@pytest.fixture
async def trim() -> AsyncIterator[Served]:
    cfg = TrimConfig(max_body_bytes=4096)
    metrics = Metrics(CollectorRegistry(), service="trim")
    serving = Serving()
    onion = trimmain.build(cfg, metrics=metrics, serving=serving, logger=logging.getLogger("test.trim"))
    serving.set(True)
    server, port = await start_server(onion.grpc_handlers, port=0)
    address = f"127.0.0.1:{port}"
    channel = grpc.aio.insecure_channel(address)
    transport = httpx.ASGITransport(app=onion.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://trim") as http:
        yield Served(http, channel, address, metrics.registry)
    await channel.close(None)
    await server.stop(None)


@pytest.fixture
async def add(trim: Served) -> AsyncIterator[Served]:
    cfg = AddConfig(max_body_bytes=4096, max_concat_length=64, trim_instances=(trim.grpc_address,))
    metrics = Metrics(CollectorRegistry(), service="add")
    trim_client = trimclient.new(FixedInstancer(cfg.trim_instances), policy=cfg.trim, metrics=metrics)
    serving = Serving()
    onion = addmain.build(
        cfg, trimmer=trim_client, metrics=metrics, serving=serving, logger=logging.getLogger("test.add")
    )
    serving.set(True)
    server, port = await start_server(onion.grpc_handlers, port=0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    transport = httpx.ASGITransport(app=onion.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://add") as http:
        yield Served(http, channel, f"127.0.0.1:{port}", metrics.registry)
    await channel.close(None)
    await server.stop(None)
    await trim_client.close()
