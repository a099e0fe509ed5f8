import re

import pytest

from kit.endpoint import request_scope
from kit.errors import RateLimited
from kit.ratelimit import Config, Limit, limit, read_config, read_configs, variable
from support.clock import FakeClock


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def echo(request: str) -> str:
    return request


@pytest.mark.parametrize(
    ("prefix", "method", "suffix", "name"),
    [
        ("add", "Sum", "", "ADD_RATELIMIT_SUM"),
        ("add", "Concat", "PER_CLIENT", "ADD_RATELIMIT_CONCAT_PER_CLIENT"),
        ("trim", "TrimSpace", "MODE", "TRIM_RATELIMIT_TRIMSPACE_MODE"),
        ("my-svc", "do.it", "", "MY_SVC_RATELIMIT_DO_IT"),
        ("", "Sum", "", "RATELIMIT_SUM"),
    ],
)
def test_variable_names(prefix: str, method: str, suffix: str, name: str) -> None:
    assert variable(prefix, method, suffix) == name


@pytest.mark.parametrize(
    ("env", "config"),
    [
        ({}, Config()),
        ({"ADD_RATELIMIT_SUM": ""}, Config()),
        ({"ADD_RATELIMIT_SUM": "1/1"}, Config(total=Limit(1.0, 1))),
        ({"ADD_RATELIMIT_SUM": " 0.5 / 3 "}, Config(total=Limit(0.5, 3))),
        ({"ADD_RATELIMIT_SUM": "1e3/100"}, Config(total=Limit(1000.0, 100))),
        ({"ADD_RATELIMIT_SUM_PER_CLIENT": "10/20"}, Config(per_client=Limit(10.0, 20))),
        (
            {"ADD_RATELIMIT_SUM": "100/10", "ADD_RATELIMIT_SUM_PER_CLIENT": "5/5", "ADD_RATELIMIT_SUM_MODE": "delay"},
            Config(total=Limit(100.0, 10), per_client=Limit(5.0, 5), mode="delay"),
        ),
        ({"ADD_RATELIMIT_SUM": "1/1", "ADD_RATELIMIT_SUM_MODE": "ERROR"}, Config(total=Limit(1.0, 1))),
        ({"ADD_RATELIMIT_SUM_MODE": "delay"}, Config(mode="delay")),
        ({"ADD_RATELIMIT_CONCAT": "1/1", "TRIM_RATELIMIT_SUM": "1/1"}, Config()),  # other methods, other services
    ],
)
def test_read_config(env: dict[str, str], config: Config) -> None:
    assert read_config("add", "Sum", env) == config


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("ADD_RATELIMIT_SUM", "1", "expected <rate>/<burst>"),
        ("ADD_RATELIMIT_SUM", "1/", "expected <rate>/<burst>"),
        ("ADD_RATELIMIT_SUM", "/1", "expected <rate>/<burst>"),
        ("ADD_RATELIMIT_SUM", "1/1/1", "expected <rate>/<burst>"),
        ("ADD_RATELIMIT_SUM", "fast/1", "not a number"),
        ("ADD_RATELIMIT_SUM", "0/1", "above 0"),
        ("ADD_RATELIMIT_SUM", "-1/1", "above 0"),
        ("ADD_RATELIMIT_SUM", "inf/1", "finite"),
        ("ADD_RATELIMIT_SUM", "nan/1", "finite"),
        ("ADD_RATELIMIT_SUM", "1/0", "whole number of at least 1"),
        ("ADD_RATELIMIT_SUM", "1/1.5", "whole number of at least 1"),
        ("ADD_RATELIMIT_SUM", "1/-1", "whole number of at least 1"),
        ("ADD_RATELIMIT_SUM_PER_CLIENT", "1-1", "expected <rate>/<burst>"),
        ("ADD_RATELIMIT_SUM_MODE", "fast", "one of error, delay"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{name}={value!r}")) as info:
        read_config("add", "Sum", {name: value})

    assert reason in str(info.value)


def test_unlimited_when_nothing_is_set() -> None:
    assert read_config("add", "Sum", {}) == Config()
    assert limit(read_config("add", "Sum", {"ADD_RATELIMIT_SUM_MODE": "delay"}))(echo) is echo


def test_read_configs_reads_each_method() -> None:
    env = {"TRIM_RATELIMIT_TRIMSPACE": "2/3"}
    assert read_configs("trim", ["TrimSpace"], env) == {"TrimSpace": Config(total=Limit(rate=2.0, burst=3))}


async def test_one_request_per_second_as_in_go_kits_tutorial() -> None:
    clock = FakeClock()
    rejected: list[None] = []
    config = read_config("add", "Sum", {"ADD_RATELIMIT_SUM": "1/1"})
    middleware = limit(config, clock=clock, on_reject=lambda: rejected.append(None))
    endpoint = middleware(echo)

    assert await endpoint("a") == "a"
    with pytest.raises(RateLimited) as info:
        await endpoint("b")
    clock.advance(1.0)

    assert await endpoint("c") == "c"
    assert info.value.retry_after == pytest.approx(1.0)
    assert len(rejected) == 1


async def test_delay_mode_waits_instead_of_refusing() -> None:
    sleep = FakeSleep()
    env = {"ADD_RATELIMIT_SUM": "2/1", "ADD_RATELIMIT_SUM_MODE": "delay"}
    middleware = limit(read_config("add", "Sum", env), clock=FakeClock(), sleep=sleep)
    endpoint = middleware(echo)

    await endpoint("a")
    await endpoint("b")

    assert sleep.waits == [pytest.approx(0.5)]


async def test_per_client_and_global_limits_both_apply() -> None:
    env = {"ADD_RATELIMIT_SUM": "1/3", "ADD_RATELIMIT_SUM_PER_CLIENT": "1/2"}
    middleware = limit(read_config("add", "Sum", env), clock=FakeClock())
    endpoint = middleware(echo)

    with request_scope(client="a"):
        await endpoint("a1")
        await endpoint("a2")
        with pytest.raises(RateLimited):
            await endpoint("a3")  # over its own limit; the global bucket keeps its last token
    with request_scope(client="b"):
        await endpoint("b1")
        with pytest.raises(RateLimited):
            await endpoint("b2")  # within its own limit, but the global one is spent
