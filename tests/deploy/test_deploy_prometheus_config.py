"""The Prometheus configuration: both committed renders are fresh and valid for the real promtool, and the
renderer fills in any Consul address and token without editing a file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.prometheus import render_config
from deploy.prometheus.render_config import COMMITTED, Consul, Variant, consul_from_address, render
from integration.prometheus_server import TOOLS

PROMTOOL = TOOLS / "bin" / "promtool"
FOLDER = render_config.HERE


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL.exists(), "promtool missing: run `make tools`"
    return subprocess.run([str(PROMTOOL), *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_config_is_a_fresh_render_of_the_template(name: str) -> None:
    expected = render(render_config.TEMPLATE.read_text(), COMMITTED[name])
    assert (FOLDER / name).read_text() == expected, "run: python deploy/prometheus/render_config.py --write-committed"


@pytest.mark.integration  # runs promtool
@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_promtool_accepts_committed_config(name: str) -> None:
    done = promtool("check", "config", FOLDER / name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 1 rule files found" in done.stdout


@pytest.mark.parametrize(
    ("name", "server", "self_target"),
    [
        ("prometheus.yml", "consul:8500", "localhost:9090"),
        ("prometheus.native.yml", "127.0.0.1:8500", "127.0.0.1:9090"),
    ],
)
def test_committed_configs_differ_only_in_addresses(name: str, server: str, self_target: str) -> None:
    text = (FOLDER / name).read_text()
    assert f'server: "{server}"' in text
    assert f'targets: ["{self_target}"]' in text
    other = (FOLDER / ("prometheus.native.yml" if name == "prometheus.yml" else "prometheus.yml")).read_text()
    differing = set(text.splitlines()) ^ set(other.splitlines())
    assert all(re.search(r"server: |targets: \[", line) for line in differing), differing


def test_composes_config_with_a_token_differs_from_the_committed_one_in_token_and_rules_path_only() -> None:
    text = render_config.compose_with_token("s3cr3t-token")
    committed = (FOLDER / "prometheus.yml").read_text()
    assert 'token: "s3cr3t-token"' in text
    assert '- "/etc/prometheus/rules/kit.rules.yml"' in text  # where compose mounts rules/
    differing = set(text.splitlines()) ^ set(committed.splitlines())
    assert all(re.search(r"token: |kit\.rules\.yml", line) for line in differing), differing
    assert len(differing) == 4


@pytest.mark.integration  # runs the renderer and promtool
def test_start_time_render_takes_consul_and_token_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "prometheus.yml"
    env = {"CONSUL_HTTP_ADDR": "https://consul.example:8501", "CONSUL_HTTP_TOKEN": "s3cr3t-token", "PATH": ""}
    argv = [sys.executable, str(render_config.HERE / "render_config.py"), "--self", "127.0.0.1:19090"]
    done = subprocess.run([*argv, "-o", str(out)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert 'server: "consul.example:8501"' in text
    assert 'scheme: "https"' in text
    assert 'token: "s3cr3t-token"' in text
    assert f'- "{FOLDER / "rules" / "kit.rules.yml"}"' in text  # absolute: the file may live anywhere
    assert out.stat().st_mode & 0o077 == 0  # a token makes the file private
    checked = promtool("check", "config", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("address", "server", "scheme"),
    [
        ("127.0.0.1:8500", "127.0.0.1:8500", "http"),
        ("http://consul:8500", "consul:8500", "http"),
        ("https://consul.example:8501/", "consul.example:8501", "https"),
        (" [::1]:8500 ", "[::1]:8500", "http"),
    ],
)
def test_consul_address_forms(address: str, server: str, scheme: str) -> None:
    assert consul_from_address(address, token="t") == Consul(server, scheme=scheme, token="t")


@pytest.mark.parametrize("address", ["consul", "unix:///tmp/consul.sock", "ftp://consul:21", "host:port", ""])
def test_consul_address_refuses_what_prometheus_cannot_use(address: str) -> None:
    with pytest.raises(ValueError, match="Consul"):
        consul_from_address(address)


def test_values_are_quoted_so_they_cannot_change_the_structure() -> None:
    variant = Variant(Consul("c:1", token='x"\ny: z'), self_target="p:2", rules_dir="r")
    text = render("header\n\ntoken: @CONSUL_TOKEN@\nrules: @KIT_RULES@\n", variant)
    assert text.endswith('token: "x\\"\\ny: z"\nrules: "r/kit.rules.yml"\n')
    assert text.startswith(render_config.GENERATED_HEADER)
    assert "header" not in text


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError, match="@CONSUL_ADDR@"):
        render("header\n\nserver: @CONSUL_ADDR@\n", COMMITTED["prometheus.yml"])


def test_template_uses_every_value_and_no_unknown_placeholder() -> None:
    found = set(render_config.PLACEHOLDER.findall(render_config.TEMPLATE.read_text().partition("\n\n")[2]))
    assert found == {"CONSUL_SERVER", "CONSUL_SCHEME", "CONSUL_TOKEN", "SELF_TARGET", "KIT_RULES"}
