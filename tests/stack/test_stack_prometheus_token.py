"""Prometheus' own Consul token reaches its configuration in both modes, and never a command line: the local stack's
rendered file (0600) and compose's secret (STACK_PROMETHEUS_CONFIG) are rendered from the same template."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.local.kitstack import prometheus

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "0b5c7a52-prometheus-token"


def test_the_local_stack_renders_the_token_into_a_private_file_not_onto_a_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argvs: list[list[str]] = []
    real_run = subprocess.run

    def recording(argv: list[str], **kwargs: Any) -> Any:
        argvs.append(list(argv))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(subprocess, "run", recording)
    files = prometheus.render(ROOT, tmp_path, consul="127.0.0.1:18500", prometheus="127.0.0.1:19090", token=TOKEN)

    assert f'token: "{TOKEN}"' in files.config.read_text()
    assert files.config.stat().st_mode & 0o077 == 0
    assert argvs and not any(TOKEN in arg for argv in argvs for arg in argv)


def test_composes_configuration_is_the_same_template_with_the_token_and_the_mounted_rules() -> None:
    text = prometheus.compose_config(ROOT, TOKEN)

    assert f'token: "{TOKEN}"' in text
    assert 'server: "consul:8500"' in text
    assert '- "/etc/prometheus/rules/kit.rules.yml"' in text
