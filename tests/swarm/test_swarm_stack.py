"""The swarm stack file is the compose file's services under swarm's rules (deploy/swarm/stack.py), and the
committed deploy/swarm/docker-stack.yml is exactly that derivation: edit the compose file, and this fails until
`python -m deploy.swarm stack --write` refreshes it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from deploy.swarm.stack import (
    COMPOSE,
    EDGE_LABEL,
    STACK,
    derive,
    host_port,
    images,
    interpolate,
    load_compose,
    render,
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(COMPOSE)


@pytest.fixture(scope="module")
def stack(compose: dict[str, Any]) -> dict[str, Any]:
    return derive(compose)


def test_the_committed_stack_file_is_the_derivation(compose: dict[str, Any]) -> None:
    assert STACK.read_text() == render(compose), "run `python -m deploy.swarm stack --write`"


def test_every_service_outside_a_profile_is_there_with_its_image_command_env_and_checks(
    compose: dict[str, Any], stack: dict[str, Any]
) -> None:
    wanted = {n for n, s in compose["services"].items() if not s.get("profiles")}
    assert set(stack["services"]) == wanted
    assert {"consul", "prometheus", "trim", "add"} <= wanted  # and any service `make new-service` added
    for name, spec in stack["services"].items():
        source = compose["services"][name]
        assert spec["image"] == "${SWARM_REGISTRY:-127.0.0.1:5000}/" + source["image"]
        for key in ("healthcheck", "stop_grace_period", "expose"):
            assert spec.get(key) == source.get(key), (name, key)
        # all but Consul's ACLs and Prometheus' token, which swarm cannot hand over as compose does (the stack's
        # docstring): swarm's Prometheus reads the committed, token-less configuration of its mounted folder
        acl_arg = "-config-file=/run/secrets/consul-acl.hcl"
        unsecret = {"--config.file=/run/secrets/prometheus.yml": "--config.file=/etc/prometheus/prometheus.yml"}
        command = [unsecret.get(a, a) for a in source.get("command") or [] if a != acl_arg]
        assert spec.get("command") == (command or None), name
        env = {k: v for k, v in (source.get("environment") or {}).items() if k != "CONSUL_HTTP_TOKEN"}
        assert spec.get("environment") == (env or None), name
        assert not {"build", "depends_on", "profiles", "secrets"} & set(spec)
        assert spec["deploy"]["endpoint_mode"] == "dnsrr"  # no IPVS here: no virtual IPs
        assert spec["networks"] == ["kit"]


def test_trims_replicate_anywhere_and_publish_nothing(stack: dict[str, Any]) -> None:
    trim = stack["services"]["trim"]
    assert "ports" not in trim
    assert trim["deploy"]["replicas"] == "${SWARM_TRIMS:-3}"
    assert "placement" not in trim["deploy"]


def test_published_ports_are_host_mode_on_the_edge_engine(compose: dict[str, Any], stack: dict[str, Any]) -> None:
    for name in ("add", "consul", "prometheus"):
        spec = stack["services"][name]
        assert spec["ports"] and all(p["mode"] == "host" for p in spec["ports"])
        assert len(spec["ports"]) == len(compose["services"][name]["ports"])
        assert spec["deploy"]["placement"]["constraints"] == [f"node.labels.{EDGE_LABEL} == true"]
    assert stack["services"]["add"]["ports"][0] == {
        "target": 8080, "published": "${STACK_ADD_HTTP_PORT:-8080}", "protocol": "tcp", "mode": "host"
    }  # fmt: skip


def test_the_overlay_avoids_slirp4netns_and_bind_paths_follow_the_file(stack: dict[str, Any]) -> None:
    subnet = stack["networks"]["kit"]["ipam"]["config"][0]["subnet"]
    assert not subnet.startswith("10.0.2."), "slirp4netns' tap0 is 10.0.2.0/24 in every engine's namespace"
    assert stack["networks"]["kit"]["driver"] == "overlay"
    assert "../prometheus:/etc/prometheus:ro" in stack["services"]["prometheus"]["volumes"]
    assert (STACK.parent / "../prometheus/prometheus.yml").is_file()


def test_the_stack_file_parses_as_written() -> None:
    assert yaml.safe_load(STACK.read_text()) == derive(load_compose())


@pytest.mark.parametrize("short", ["8080", "a:b:c:d", "x:8080", "8080:8080/udp"])
def test_an_unexpected_port_syntax_is_refused(short: str) -> None:
    with pytest.raises(ValueError, match="unexpected port syntax"):
        host_port(short)


def test_a_plain_port_stays_a_number() -> None:
    assert host_port("127.0.0.1:9000:9001") == {"target": 9001, "published": 9000, "protocol": "tcp", "mode": "host"}


def test_the_pushed_images_are_the_stacks_as_the_environment_names_them(compose: dict[str, Any]) -> None:
    env = {"STACK_IMAGE_TAG": "abc1234", "STACK_CONSUL_IMAGE": "kit-local/consul:1.8.7", "STACK_PROMETHEUS_IMAGE": ""}
    found = images(compose, env)
    assert "kit-local/consul:1.8.7" in found
    assert "gokit/trimsvc:abc1234" in found and "gokit/addsvc:abc1234" in found
    assert any(name.startswith("prom/prometheus:") for name in found)  # empty: the compose file's default
    assert len(found) == len(derive(compose)["services"])


def test_interpolation_as_compose_does_it() -> None:
    assert interpolate("${A:-x}/${B}:${C:-}", {"A": "", "B": "b"}) == "x/b:"


def test_a_service_that_publishes_nothing_runs_anywhere_and_one_that_publishes_on_the_edge() -> None:
    compose = {
        "services": {
            "echo": {"image": "gokit/echosvc:${STACK_IMAGE_TAG:-dev}", "build": {"context": ".."}, "expose": ["1"]},
            "web": {"image": "web:1", "ports": ["${STACK_BIND_ADDRESS:-127.0.0.1}:${WEB_PORT:-80}:80"]},
            "extra": {"image": "x:1", "profiles": ["extras"]},
        }
    }
    stack = derive(compose)
    assert set(stack["services"]) == {"echo", "web"}
    assert stack["services"]["echo"]["deploy"] == {"endpoint_mode": "dnsrr"}
    assert stack["services"]["web"]["deploy"]["placement"]["constraints"] == [f"node.labels.{EDGE_LABEL} == true"]
