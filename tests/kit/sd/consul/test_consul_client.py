from __future__ import annotations

import pytest

from kit.env import ConfigError
from kit.sd.consul import address_of, client_from_env, parse_addr


@pytest.mark.parametrize(
    ("addr", "want"),
    [
        ("127.0.0.1:8500", (None, "127.0.0.1", 8500)),
        ("consul:18500", (None, "consul", 18500)),
        ("localhost", (None, "localhost", 8500)),
        ("http://consul.service:8501", ("http", "consul.service", 8501)),
        ("https://consul.example/", ("https", "consul.example", 8500)),
        ("[::1]:8500", (None, "[::1]", 8500)),
        (" 10.0.0.1:1 ", (None, "10.0.0.1", 1)),
    ],
)
def test_consul_parse_addr_takes_what_the_consul_cli_takes(addr: str, want: tuple[str | None, str, int]) -> None:
    assert parse_addr(addr) == want


@pytest.mark.parametrize("addr", ["host:port", "ftp://consul:8500", "http://consul:8500/v1", ":8500", "unix:///sock"])
def test_consul_parse_addr_refuses_garbage_naming_the_variable(addr: str) -> None:
    with pytest.raises(ConfigError, match="CONSUL_HTTP_ADDR"):
        parse_addr(addr)


@pytest.mark.parametrize(
    ("env", "want_url", "want_token"),
    [
        ({}, "http://127.0.0.1:8500", None),
        ({"CONSUL_HTTP_ADDR": "consul:8600"}, "http://consul:8600", None),
        ({"CONSUL_HTTP_ADDR": "https://consul:8501", "CONSUL_HTTP_TOKEN": "s3cret"}, "https://consul:8501", "s3cret"),
        ({"CONSUL_HTTP_ADDR": "consul:8501", "CONSUL_HTTP_SSL": "true"}, "https://consul:8501", None),
        ({"CONSUL_HTTP_ADDR": " ", "CONSUL_HTTP_TOKEN": " "}, "http://127.0.0.1:8500", None),
    ],
)
def test_consul_client_from_env_reads_consuls_variables(
    env: dict[str, str], want_url: str, want_token: str | None
) -> None:
    client = client_from_env(env=env)

    assert address_of(client) == want_url
    assert client.token == want_token


def test_consul_client_from_env_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # py-consul itself would let CONSUL_HTTP_TOKEN override an explicit token.
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "elsewhere:1")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "from-env")

    client = client_from_env(addr="127.0.0.1:18500", token="explicit")

    assert address_of(client) == "http://127.0.0.1:18500"
    assert client.token == "explicit"
    assert client.prepare_headers() == {"X-Consul-Token": "explicit"}


def test_consul_client_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "http://127.0.0.9:8555")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "tok")

    client = client_from_env()

    assert (address_of(client), client.token) == ("http://127.0.0.9:8555", "tok")
