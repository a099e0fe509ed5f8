"""What `make up MODE=docker` hands Docker Compose: the published ports moved by STACK_PORT_OFFSET and STACK_*_PORT
as in the local stack, the profile `extras` by default, and git's tag on the images. No engine needed."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.local.kitstack import acl, docker
from deploy.local.kitstack.ports import Ports

ROOT = Path(__file__).resolve().parents[2]


def test_published_ports_follow_the_offset_and_the_variables() -> None:
    env = docker.compose_env(ROOT, {"STACK_PORT_OFFSET": "100", "STACK_ADD_GRPC_PORT": "9999"})
    assert env["STACK_ADD_HTTP_PORT"] == "8180"
    assert env["STACK_ADD_GRPC_PORT"] == "9999"
    assert env["STACK_CONSUL_PORT"] == "8600"
    assert env["STACK_PROMETHEUS_PORT"] == "9190"
    assert env["STACK_GRAFANA_PORT"] == "3100"
    assert env["STACK_JAEGER_PORT"] == "16786"


def test_extras_profile_is_on_unless_compose_profiles_says_otherwise() -> None:
    default = docker.compose_env(ROOT, {})
    assert default["COMPOSE_PROFILES"] == "extras"
    assert "STACK_TRACES_EXPORTER" not in default
    without = docker.compose_env(ROOT, {"COMPOSE_PROFILES": ""})
    assert without["COMPOSE_PROFILES"] == ""
    assert without["STACK_TRACES_EXPORTER"] == "none"  # nobody would receive the spans
    assert [p.what for p in docker.published(Ports(), extras=False)] == ["add HTTP", "add gRPC", "Consul", "Prometheus"]
    assert {p.variable for p in docker.published(Ports(), extras=True)} >= {"STACK_GRAFANA_PORT", "STACK_JAEGER_PORT"}


def test_images_are_tagged_and_labelled_from_git() -> None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    labels = docker.image_labels(ROOT)
    assert labels["STACK_IMAGE_REVISION"] == head.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", labels["STACK_IMAGE_TAG"])  # Docker's tag grammar
    assert labels["STACK_IMAGE_TAG"] != "dev"
    assert labels["STACK_IMAGE_CREATED"][:2] == "20"
    assert docker.compose_env(ROOT, {"STACK_IMAGE_TAG": "v1.2.3"})["STACK_IMAGE_TAG"] == "v1.2.3"


def test_outside_git_the_images_are_tagged_dev(tmp_path: Path) -> None:
    assert docker.image_labels(tmp_path)["STACK_IMAGE_TAG"] == "dev"


def test_scale_and_down_use_the_running_images_tag() -> None:
    assert docker.tag_of("gokit/addsvc:abc1234-dirty") == "abc1234-dirty"
    assert docker.tag_of("registry:5000/gokit/addsvc") is None
    assert docker.tag_of("addsvc") is None


def test_the_project_name_is_the_compose_files() -> None:
    assert f"\nname: {docker.PROJECT}\n" in (ROOT / "deploy" / "docker-compose.yml").read_text()


def test_consuls_secrets_reach_compose_from_the_stacks_tokens_and_win_over_the_environment(tmp_path: Path) -> None:
    tokens = acl.Tokens.load_or_make(tmp_path / "consul-tokens.json")
    assert (tmp_path / "consul-tokens.json").stat().st_mode & 0o777 == 0o600
    env = docker.compose_env(ROOT, {"STACK_CONSUL_TRIM_TOKEN": "stale"}, tokens)
    assert env["STACK_CONSUL_ACL_CONFIG"] == acl.agent_config(tokens)
    assert 'default_policy = "deny"' in env["STACK_CONSUL_ACL_CONFIG"]
    assert tokens.management in env["STACK_CONSUL_ACL_CONFIG"]
    assert (env["STACK_CONSUL_ADD_TOKEN"], env["STACK_CONSUL_TRIM_TOKEN"]) == (tokens.add, tokens.trim)
    # Prometheus' configuration (a secret) presents its own token, none other, and reads the mounted rules
    config = env["STACK_PROMETHEUS_CONFIG"]
    assert f'token: "{tokens.prometheus}"' in config
    assert tokens.management not in config
    assert '- "/etc/prometheus/rules/kit.rules.yml"' in config
    assert acl.Tokens.load_or_make(tmp_path / "consul-tokens.json") == tokens  # made once, then kept
    echo = acl.Tokens.load_or_make(tmp_path / "consul-tokens.json", ["echo"])  # a generated service gets its own
    assert docker.compose_env(ROOT, {}, echo)["STACK_CONSUL_ECHO_TOKEN"] == echo.services["echo"] != tokens.trim
    assert {"STACK_CONSUL_ACL_CONFIG", "STACK_PROMETHEUS_CONFIG"}.isdisjoint(docker.compose_env(ROOT, {}))


def test_up_starts_consul_alone_first() -> None:
    cmds = docker.commands(["docker", "compose"], ROOT / "deploy" / "docker-compose.yml", trims=3, timeout=60)
    assert cmds["consul"][-1] == "consul"
    assert "--wait" in cmds["consul"]
    assert "--build" not in cmds["consul"]


class _Recorder:
    """Stands in for subprocess.run and close_consul in kitstack.docker: records what would have run, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def run(self, argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        if argv[:2] == ["docker", "compose"]:  # git's (image labels) are not recorded
            self.calls.append(" ".join(argv[argv.index("-f") + 2 :]))
        return subprocess.CompletedProcess(argv, 0, "", "")

    def close(self, ports: Ports, tokens: acl.Tokens, *, timeout: float) -> None:
        self.calls.append(f"close consul at {ports.consul_http}")


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    rec = _Recorder()
    monkeypatch.setattr(subprocess, "run", rec.run)  # the module docker uses
    monkeypatch.setattr(docker, "close_consul", rec.close)
    monkeypatch.setattr(docker, "compose_command", lambda: ["docker", "compose"])
    monkeypatch.setattr(docker, "running_tag", lambda: "abc")
    return rec


def test_up_closes_consul_before_anything_registers(recorder: _Recorder, tmp_path: Path) -> None:
    env = {"STACK_PORT_OFFSET": "23456", "COMPOSE_PROFILES": ""}  # ports nobody uses: the busy check passes
    docker.up(ROOT, env, tmp_path / "tokens.json", trims=3, timeout=60, out=io.StringIO())
    assert [c.split(" --")[0] for c in recorder.calls] == ["ps", "up -d", "close consul at 31956", "up -d"]
    assert recorder.calls[1].endswith(" consul") and "--scale trim=3" in recorder.calls[3]
    assert (tmp_path / "tokens.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("verb", "parts", "closes"),
    [("restart", ["consul"], True), ("restart", [], True), ("restart", ["add"], False), ("logs", ["consul"], False)],
)
def test_a_restarted_consul_gets_its_policies_and_tokens_again(
    recorder: _Recorder, tmp_path: Path, verb: str, parts: list[str], closes: bool
) -> None:
    assert docker.run(ROOT, {}, tmp_path / "tokens.json", verb, parts) == 0
    assert (recorder.calls[-1] == "close consul at 8500") is closes
