"""The compose file, checked without a Docker engine: against the Compose specification's JSON schema
(check-jsonschema's vendored copy) and the project's own rules. The Dockerfiles are checked by
test_stack_dockerfiles.py."""

from __future__ import annotations

import importlib
import re
import subprocess
from typing import Any

import pytest

from deploy.local.kitstack import docker
from deploy.local.kitstack.ports import VARIABLES, Ports
from support.stack_services import PORTS, ROOT, SERVICES, dev_tool

# PyYAML comes with uvicorn[standard]; imported by name because the dev group has no types-PyYAML stubs
yaml = importlib.import_module("yaml")

COMPOSE = ROOT / "deploy" / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


@pytest.mark.integration  # runs check-jsonschema
def test_compose_file_matches_the_compose_specification() -> None:
    cmd = [dev_tool("check-jsonschema", "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_the_whole_stack() -> None:
    assert set(_services()) == {"consul", "prometheus", "grafana", "jaeger", *SERVICES}


def test_trim_publishes_no_port_so_it_scales_and_runs_two_replicas() -> None:
    trim = _services()["trim"]
    assert "ports" not in trim
    assert trim["deploy"]["replicas"] == 2
    assert sorted(trim["expose"]) == list(PORTS["trim"])


def _published(field: str, container_port: int) -> str:
    """A port published on 127.0.0.1 unless told otherwise, at the STACK_* variable of kitstack.ports."""
    default = getattr(Ports(), field)
    return f"${{STACK_BIND_ADDRESS:-127.0.0.1}}:${{{VARIABLES[field]}:-{default}}}:{container_port}"


def test_every_port_is_published_on_loopback_and_moved_by_the_stack_variables() -> None:
    published = {name: s.get("ports", []) for name, s in _services().items()}
    assert published["add"] == [_published("add_http", 8080), _published("add_grpc", 8081)]
    assert published["consul"] == [_published("consul_http", 8500)]
    assert published["prometheus"] == [_published("prometheus", 9090)]
    assert published["grafana"] == [_published("grafana", 3000)]
    assert published["jaeger"] == [_published("jaeger_ui", 16686)]
    assert published["trim"] == []


def test_third_party_images_are_variables_defaulting_to_official_images() -> None:
    services = _services()
    official = {"consul": "hashicorp/consul:", "prometheus": "prom/prometheus:", "grafana": "grafana/grafana:",
                "jaeger": "jaegertracing/all-in-one:"}  # fmt: skip
    for name, prefix in official.items():
        assert services[name]["image"].startswith(f"${{STACK_{name.upper()}_IMAGE:-{prefix}"), name
    for name in SERVICES:
        assert services[name]["image"] == f"gokit/{name}svc:${{STACK_IMAGE_TAG:-dev}}"
        assert services[name]["build"]["args"]["PYTHON_IMAGE"] == "${STACK_PYTHON_IMAGE:-python:3.11-slim-bookworm}"


def test_grafana_and_jaeger_are_in_the_extras_profile_and_nothing_needs_them() -> None:
    services = _services()
    assert {name for name, s in services.items() if "profiles" in s} == {"grafana", "jaeger"}
    assert all(services[name]["profiles"] == ["extras"] for name in ("grafana", "jaeger"))
    for name in SERVICES:
        assert services[name]["depends_on"]["jaeger"]["required"] is False
        assert services[name]["environment"]["OTEL_TRACES_EXPORTER"] == "${STACK_TRACES_EXPORTER:-otlp}"


def test_adds_deadlines_come_from_the_environment_only_when_set_there() -> None:
    env = _services()["add"]["environment"]
    assert env["ADD_TRIM_TIMEOUT"] is None  # compose: taken from the caller's environment, else left unset
    assert env["ADD_REQUEST_TIMEOUT"] is None


def test_prometheus_health_check_uses_get() -> None:
    # `wget --spider` sends HEAD, which Prometheus before 2.25 answers with 405
    test = _services()["prometheus"]["healthcheck"]["test"]
    assert "--spider" not in test
    assert test[:2] == ["CMD", "wget"]


def test_every_wait_for_health_has_a_health_check_to_wait_for() -> None:
    services = _services()
    waits = 0
    for name, service in services.items():
        for target, dep in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if dep["condition"] == "service_healthy":
                waits += 1
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no health check"
    assert waits >= 5
    assert services["add"]["depends_on"]["trim"]["condition"] == "service_healthy"
    assert services["trim"]["depends_on"]["consul"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", SERVICES)
def test_services_listen_everywhere_find_consul_and_send_traces_to_jaeger(name: str) -> None:
    service = _services()[name]
    env = service["environment"]
    assert env[f"{name.upper()}_HOST"] == "0.0.0.0"
    assert env["CONSUL_HTTP_ADDR"] == "consul:8500"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"  # the exporter the kit ships
    assert env["OTEL_SERVICE_NAME"] == name
    assert {k: service["build"][k] for k in ("context", "dockerfile")} == {
        "context": "..",
        "dockerfile": f"services/{name}/Dockerfile",
    }
    test = service["healthcheck"]["test"]
    assert f"http://127.0.0.1:{PORTS[name][0 if name == 'add' else 1]}/health" in test[-1]


def test_mounted_folders_exist_beside_the_compose_file() -> None:
    for service in _services().values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).is_dir(), volume
    prometheus = _services()["prometheus"]
    assert "./prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--web.console.templates=/etc/prometheus/consoles" in prometheus["command"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in _services()["grafana"]["volumes"]


def test_consul_is_closed_and_each_service_registers_with_its_own_token() -> None:
    services = _services()
    consul = services["consul"]
    assert "-config-file=/run/secrets/consul-acl.hcl" in consul["command"]
    assert consul["secrets"] == [{"source": "consul-acl", "target": "consul-acl.hcl", "mode": 0o444}]
    assert _compose()["secrets"] == {
        "consul-acl": {"environment": "STACK_CONSUL_ACL_CONFIG"},
        "prometheus-config": {"environment": "STACK_PROMETHEUS_CONFIG"},
    }
    for name in SERVICES:  # a generated one too (make new-service): its own token, as kitstack.docker names it
        token = services[name]["environment"]["CONSUL_HTTP_TOKEN"]
        assert token == f"${{{docker.token_variable(name)}:-}}", token  # without it: refused registration (403)
    # Prometheus' token is in its configuration, a secret (kitstack.docker renders it), not in its environment
    prometheus = services["prometheus"]
    assert "--config.file=/run/secrets/prometheus.yml" in prometheus["command"]
    assert prometheus["secrets"] == [{"source": "prometheus-config", "target": "prometheus.yml", "mode": 0o444}]
    assert "CONSUL_HTTP_TOKEN" not in prometheus.get("environment", {})
    # no secret is committed: nothing in the file looks like a Consul token (a UUID)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", COMPOSE.read_text())
