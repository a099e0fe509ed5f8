"""The local stack's ports: defaults, variables, collisions, and the busy-port check on real sockets of 127.0.0.1."""

from __future__ import annotations

import os
import socket

import pytest

from deploy.local.kitstack import procs
from deploy.local.kitstack.ports import Port, PortError, Ports, busy, describe_busy, is_free


def test_defaults_are_the_contract_ports() -> None:
    ports = Ports.from_env({})
    assert (ports.consul_http, ports.prometheus, ports.add_http, ports.add_grpc) == (8500, 9090, 8080, 8081)
    assert [ports.trim(i) for i in (1, 2, 3)] == [(8975, 8985), (8976, 8986), (8977, 8987)]


@pytest.mark.parametrize(
    ("env", "field", "want"),
    [
        ({"STACK_CONSUL_PORT": "18500"}, "consul_http", 18500),
        ({"STACK_ADD_GRPC_PORT": " 7001 "}, "add_grpc", 7001),
        ({"STACK_PORT_OFFSET": "10000"}, "prometheus", 19090),
        ({"STACK_PORT_OFFSET": "10000", "STACK_PROMETHEUS_PORT": "9999"}, "prometheus", 9999),
        ({"STACK_PORT_OFFSET": "-100"}, "trim_grpc", 8875),
        ({"STACK_TRIM_HTTP_PORT": ""}, "trim_http", 8985),
    ],
)
def test_variables_move_ports(env: dict[str, str], field: str, want: int) -> None:
    assert getattr(Ports.from_env(env), field) == want


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"STACK_CONSUL_PORT": "eighty"}, "STACK_CONSUL_PORT"),
        ({"STACK_ADD_HTTP_PORT": "0"}, "STACK_ADD_HTTP_PORT"),
        ({"STACK_ADD_HTTP_PORT": "70000"}, "STACK_ADD_HTTP_PORT"),
        ({"STACK_PORT_OFFSET": "x"}, "STACK_PORT_OFFSET"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(PortError, match=named):
        Ports.from_env(env)


def test_listening_lists_every_part_and_each_trim() -> None:
    wanted = Ports().listening(3)
    numbers = [p.number for p in wanted]
    assert len(numbers) == len(set(numbers)) == 7 + 2 * 3
    assert {8977, 8987} <= set(numbers)
    assert [p.udp for p in wanted if p.number in (8301, 8302)] == [True, True]


def test_two_parts_on_one_port_is_refused_naming_both() -> None:
    with pytest.raises(PortError, match=r"trim-1 gRPC and add HTTP would both listen on 8080"):
        Ports(trim_grpc=8080).listening(1)


def test_too_many_trims_run_into_the_http_range() -> None:
    # trim 11's gRPC port is 8985, trim 1's HTTP port
    Ports().listening(10)
    with pytest.raises(PortError, match="8985"):
        Ports().listening(11)


def test_port_past_65535_is_refused() -> None:
    with pytest.raises(PortError, match="not a port"):
        Ports(trim_http=65535).listening(2)


def test_busy_finds_a_held_port_and_only_it(held: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = int(probe.getsockname()[1])
    wanted = [Port(held, "add HTTP", "STACK_ADD_HTTP_PORT"), Port(free_port, "Prometheus", "STACK_PROMETHEUS_PORT")]
    assert busy(wanted) == (wanted[0],)
    assert not is_free(wanted[0])


def test_a_udp_port_held_is_busy_for_a_udp_part() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        number = int(sock.getsockname()[1])
        assert not is_free(Port(number, "serf", "X", udp=True))


def test_busy_message_names_port_purpose_and_variable() -> None:
    text = describe_busy([Port(8500, "Consul HTTP API and UI", "STACK_CONSUL_PORT")])
    assert "8500 (Consul HTTP API and UI)" in text
    assert "STACK_CONSUL_PORT" in text


def test_busy_message_names_the_process_that_holds_the_port() -> None:
    # `make up` on a busy port named the port and its variable but not its holder (`restart` and `down` did).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        number = int(sock.getsockname()[1])
        text = describe_busy([Port(number, "add HTTP", "STACK_ADD_HTTP_PORT")], holder=procs.holder)
    assert f"{number} (add HTTP): held by pid {os.getpid()} (" in text
    assert "STACK_ADD_HTTP_PORT" in text
