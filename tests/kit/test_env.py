from __future__ import annotations

import pytest

from kit import env


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (lambda e: env.port("P", 1, env=e), "70000", "P='70000': want an integer in [0, 65535]"),
        (lambda e: env.port("P", 1, env=e), "http", "P='http': want an integer"),
        (lambda e: env.seconds("P", 1.0, env=e), "-1", "P='-1': want a positive, finite number of seconds"),
        (lambda e: env.seconds("P", 1.0, env=e), "soon", "P='soon': want a number of seconds"),
        (lambda e: env.seconds("P", 1.0, env=e), "nan", "P='nan': want a positive, finite number of seconds"),
        (lambda e: env.flag("P", True, env=e), "maybe", "P='maybe': want true or false"),
        (lambda e: env.addresses("P", env=e), "a:1,b", "P: 'b' is not host:port"),
        (lambda e: env.addresses("P", env=e), "a:0", "P: 'a:0' is not host:port"),
    ],
)
def test_bad_values_name_the_variable(reader: object, value: str, message: str) -> None:
    with pytest.raises(env.ConfigError) as info:
        reader({"P": value})  # type: ignore[operator]
    assert str(info.value) == message


def test_defaults_and_values() -> None:
    assert env.port("P", 8080, env={}) == 8080
    assert env.port("P", 8080, env={"P": " 0 "}) == 0
    assert env.seconds("P", 2.0, env={"P": "0.25"}) == 0.25
    assert env.flag("P", True, env={"P": "off"}) is False
    assert env.string("P", "d", env={"P": ""}) == "d"
    assert env.addresses("P", env={"P": "127.0.0.1:1, h:2,"}) == ("127.0.0.1:1", "h:2")


def test_advertised_host() -> None:
    assert env.advertised_host("127.0.0.1") == "127.0.0.1"
    assert env.advertised_host("0.0.0.0") not in ("0.0.0.0", "")
