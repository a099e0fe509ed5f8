from __future__ import annotations

from typing import Any

import pytest

from kit.sd.consul import Registration


def test_consul_registration_id_is_stable_per_name_address_and_port() -> None:
    a = Registration(name="trim", address="127.0.0.1", port=8975, http_port=8985)
    again = Registration(name="trim", address="127.0.0.1", port=8975, http_port=9999)
    other = Registration(name="trim", address="127.0.0.1", port=8976, http_port=8986)

    assert a.id == again.id == "trim-127.0.0.1-8975"
    assert other.id != a.id
    assert Registration(name="trim", address="h", port=1, http_port=2, service_id="mine").id == "mine"


def test_consul_registration_grpc_check_in_consul_18_spelling() -> None:
    reg = Registration(name="add", address="10.0.0.5", port=8081, http_port=8080, meta={"version": "1"})

    args = reg.register_arguments()

    assert args == {
        "name": "add",
        "service_id": "add-10.0.0.5-8081",
        "address": "10.0.0.5",
        "port": 8081,
        "tags": ["grpc", "http"],
        "meta": {"version": "1", "http_port": "8080"},
        "check": {
            "Name": "gRPC health of 10.0.0.5:8081",
            "GRPC": "10.0.0.5:8081",
            "GRPCUseTLS": False,
            "Interval": "1s",
            "Timeout": "1s",
            "DeregisterCriticalServiceAfter": "10s",
        },
        "replace_existing_checks": True,
    }


def test_consul_registration_http_check_gets_health_on_the_http_port() -> None:
    reg = Registration(
        name="trim",
        address="::1",
        port=8975,
        http_port=8985,
        check="http",
        check_interval="2s",
        check_timeout="500ms",
        deregister_after="1m",
    )

    check = reg.check_definition()

    assert check == {
        "Name": "GET http://[::1]:8985/health",
        "HTTP": "http://[::1]:8985/health",
        "Method": "GET",
        "Interval": "2s",
        "Timeout": "500ms",
        "DeregisterCriticalServiceAfter": "1m",
    }


def test_consul_registration_meta_cannot_hide_the_http_port() -> None:
    reg = Registration(name="trim", address="h", port=1, http_port=2, meta={"http_port": "wrong"})

    assert reg.register_arguments()["meta"] == {"http_port": "2"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "service name"),
        ({"address": ""}, "address"),
        ({"port": 0}, "port=0"),
        ({"http_port": 70000}, "http_port=70000"),
        ({"check": "tcp"}, "check='tcp'"),
    ],
)
def test_consul_registration_refuses_what_consul_could_not_use(changes: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"name": "trim", "address": "127.0.0.1", "port": 1, "http_port": 2, **changes}

    with pytest.raises(ValueError, match=message):
        Registration(**fields)


def test_consul_registration_is_hashable_and_frozen() -> None:
    reg = Registration(name="trim", address="h", port=1, http_port=2, meta={"k": "v"})

    assert hash(reg) == hash(Registration(name="trim", address="h", port=1, http_port=2, meta={"k": "other"}))
    with pytest.raises(AttributeError):
        reg.port = 3  # type: ignore[misc]
