"""Consul closed as `make up` closes it (deploy/local/kitstack/acl.py), against a real Consul enforcing ACLs: the
fake-trim attack (registering a `trim` that would receive users' strings) is refused without a token and with
another service's token, anonymous reads still work, and each service's token does what it needs. About 3 s."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict
from typing import Any

import pytest

from deploy.local.kitstack import acl
from integration.consul_agent import ConsulAgent

pytestmark = pytest.mark.integration

FAKE_TRIM = {"Name": "trim", "ID": "trim-evil", "Address": "127.0.0.1", "Port": 9, "Tags": ["grpc", "http"]}


def call(agent: ConsulAgent, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        agent.url + path, data=None if body is None else json.dumps(body).encode(), method=method
    )
    if token:
        request.add_header("X-Consul-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.fixture
def tokens(consul_acl_agent: ConsulAgent) -> acl.Tokens:
    assert consul_acl_agent.token is not None
    add, trim, prometheus, echo = (str(uuid.uuid4()) for _ in range(4))
    made = acl.Tokens(consul_acl_agent.token, add, trim, prometheus, {"echo": echo})  # echo: a generated service
    acl.setup(consul_acl_agent.addr, made)
    acl.setup(consul_acl_agent.addr, made)  # a second run (a restarted stack) changes nothing and fails nothing
    return made


def test_the_fake_trim_attack_is_refused(consul_acl_agent: ConsulAgent, tokens: acl.Tokens) -> None:
    for token in (None, tokens.add, tokens.prometheus, tokens.services["echo"], "made-up"):
        status, body = call(consul_acl_agent, "PUT", "/v1/agent/service/register", FAKE_TRIM, token)
        assert status == 403, (token, body)
    assert call(consul_acl_agent, "GET", "/v1/health/service/trim")[1] == []


def test_each_service_registers_itself_only_and_anonymous_reads(
    consul_acl_agent: ConsulAgent, tokens: acl.Tokens
) -> None:
    trim = {**FAKE_TRIM, "ID": "trim-1"}
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", trim, tokens.trim)[0] == 200
    add = {"Name": "add", "ID": "add-1", "Address": "127.0.0.1", "Port": 8081}
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", add, tokens.trim)[0] == 403
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", add, tokens.add)[0] == 200
    # Anonymous may read what the UI shows, and nothing else.
    status, listed = call(consul_acl_agent, "GET", "/v1/health/service/trim")
    assert (status, [entry["Service"]["ID"] for entry in listed]) == (200, ["trim-1"])
    assert call(consul_acl_agent, "GET", "/v1/catalog/services")[1].keys() >= {"add", "trim"}
    assert call(consul_acl_agent, "PUT", "/v1/kv/anything", "x")[0] == 403
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/deregister/trim-1")[0] == 403
    # Prometheus' discovery asks the agent who it is, then reads the catalog.
    assert call(consul_acl_agent, "GET", "/v1/agent/self", token=tokens.prometheus)[0] == 200
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/deregister/trim-1", token=tokens.trim)[0] == 200


def test_a_generated_service_registers_itself_only(consul_acl_agent: ConsulAgent, tokens: acl.Tokens) -> None:
    echo = {"Name": "echo", "ID": "echo-1", "Address": "127.0.0.1", "Port": 8091}
    for token in (None, tokens.trim, tokens.add):
        assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", echo, token)[0] == 403
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", echo, tokens.services["echo"])[0] == 200
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/deregister/echo-1", token=tokens.services["echo"])[0] == 200


def test_a_service_generated_while_consul_runs_gets_its_token_at_the_next_setup(
    consul_acl_agent: ConsulAgent, tokens: acl.Tokens
) -> None:
    grown = acl.Tokens(**{**asdict(tokens), "services": {**tokens.services, "greet": str(uuid.uuid4())}})
    greet = {"Name": "greet", "ID": "greet-1", "Address": "127.0.0.1", "Port": 8101}
    secret = grown.services["greet"]
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", greet, secret)[0] == 403  # not known yet
    acl.setup(consul_acl_agent.addr, grown)  # what `make up` does before starting parts beside a running Consul
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", greet, secret)[0] == 200
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/register", greet, tokens.services["echo"])[0] == 403
    assert call(consul_acl_agent, "PUT", "/v1/agent/service/deregister/greet-1", token=secret)[0] == 200
