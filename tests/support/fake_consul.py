"""Consul's health and ACL APIs as py-consul shows them, answering from a script: what the instancer's unit tests
talk to (the integration tests use a real Consul)."""

from __future__ import annotations

import threading
from typing import Any

import consul
import requests

from kit.sd.consul import ConsulInstancer

Entry = dict[str, Any]
Answer = tuple[str, list[Entry]] | Exception


def entry(port: int, address: str = "127.0.0.1", node: str = "10.0.0.9") -> Entry:
    return {"Node": {"Address": node}, "Service": {"Address": address, "Port": port}}


class FakeHealth:
    """Consul's health API answering from a script; once the script is spent, a query blocks as a blocking query
    does, until `release` (then it fails as a dropped connection)."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.queries: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.blocked = threading.Event()

    def service(self, service: str, **kwargs: Any) -> tuple[str, list[Entry]]:
        self.queries.append({"service": service, **kwargs})
        if not self.answers:
            self.blocked.set()
            self.release.wait(5)
            raise requests.ConnectionError("released")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeToken:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.reads = 0

    def read_self(self) -> dict[str, Any]:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return {}


class FakeACL:
    def __init__(self, error: Exception | None) -> None:
        self.token = FakeToken(error)


class FakeHTTP:
    base_uri = "http://127.0.0.1:8500"


class FakeConsul:
    def __init__(self, answers: list[Answer], *, token: str | None = None, acl_error: Exception | None = None) -> None:
        self.health = FakeHealth(answers)
        self.acl = FakeACL(acl_error if acl_error is not None else consul.ACLDisabled("ACL support disabled"))
        self.http = FakeHTTP()
        self.token = token


Started = list[tuple[ConsulInstancer, "FakeConsul"]]
"""Instancers a test started, each with the fake Consul it follows (the `started` fixture's)."""
