"""The Prometheus configuration of the local stack, and Prometheus' command line (the multi-host bed's too): the one
place that knows how deploy/prometheus/ is laid out.

deploy/prometheus/ is shared with Docker Compose; the two stacks differ only in where Consul and Prometheus are,
so `deploy/prometheus/render_config.py` renders the config for this stack (its Consul, its Prometheus port, the
absolute path of the rules) into the run folder. Without that script, a minimal equivalent is written instead
(consul_sd_configs for add and trim, scraping each instance's HTTP port from its `http_port` meta).
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .tools import Tools

FALLBACK = """\
# Written by deploy/local/kitstack: deploy/prometheus/prometheus.yml was not there.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["{prometheus}"]
  - job_name: kit
    consul_sd_configs:
      - server: "{consul}"
        services: [add, trim]
    relabel_configs:
      - source_labels: [__meta_consul_service_address, __meta_consul_service_metadata_http_port]
        separator: ":"
        target_label: __address__
      - source_labels: [__meta_consul_service]
        target_label: job
      - source_labels: [__meta_consul_service_id]
        target_label: service_id
"""


@dataclass(frozen=True, slots=True)
class PrometheusFiles:
    """What Prometheus is started with: its config file and, when the project has them, console templates."""

    config: Path
    consoles: Path | None
    console_libraries: Path | None


def render(root: Path, out_dir: Path, *, consul: str, prometheus: str, token: str = "") -> PrometheusFiles:
    """Writes the config for a stack whose Consul is at `consul` and Prometheus at `prometheus` (host:port),
    Prometheus presenting the Consul ACL `token` (none when empty)."""
    source_dir = root / "deploy" / "prometheus"
    renderer = source_dir / "render_config.py"
    out_dir.mkdir(parents=True, exist_ok=True)
    config = out_dir / "prometheus.yml"
    if renderer.is_file():
        argv = [sys.executable, str(renderer), "--consul", consul, "--self", prometheus, "-o", str(config)]
        argv += ["--rules-dir", str(source_dir / "rules")]
        env = {**os.environ, "CONSUL_HTTP_TOKEN": token}  # the renderer's default; a token is on no command line
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, env=env)
        if done.returncode != 0:
            raise OSError(f"{renderer} failed: {done.stderr.strip()}")
    else:
        config.write_text(FALLBACK.format(consul=consul, prometheus=prometheus))
    consoles = source_dir / "consoles"
    libraries = source_dir / "console_libraries"
    return PrometheusFiles(
        config=config,
        consoles=consoles if consoles.is_dir() else None,
        console_libraries=libraries if libraries.is_dir() else None,
    )


def prometheus_argv(tools: Tools, files: PrometheusFiles, data: Path, *, listen: str) -> list[str]:
    """Prometheus' command line: the rendered config, listening on `listen` (host:port), its data in `data` for a
    day, the project's console templates and, for the Debian build, its web assets. The multi-host bed uses it too."""
    argv = [
        str(tools.prometheus),
        f"--config.file={files.config}",
        f"--web.listen-address={listen}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=1d",
    ]
    if files.consoles is not None:
        argv.append(f"--web.console.templates={files.consoles}")
    if files.console_libraries is not None:
        argv.append(f"--web.console.libraries={files.console_libraries}")
    if tools.web_assets is not None:
        argv.append(f"--web.local-assets={tools.web_assets}")
    return argv


def compose_config(root: Path, token: str) -> str:
    """Compose's Prometheus configuration presenting Prometheus' own Consul ACL `token`
    (`deploy/prometheus/render_config.py`'s `compose_with_token`): the text of the secret deploy/docker-compose.yml
    writes into Prometheus' container from STACK_PROMETHEUS_CONFIG."""
    renderer = runpy.run_path(str(root / "deploy" / "prometheus" / "render_config.py"))
    text = renderer["compose_with_token"](token)
    assert isinstance(text, str)
    return text


__all__ = ["PrometheusFiles", "compose_config", "prometheus_argv", "render"]
