"""The generator's refusals and its edit of the dashboards, without generating a service (well under a second;
tests/scaffold/test_new_service.py generates one end to end)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploy.grafana.render_dashboards import SOURCE, layout, parse
from scripts.new_service import edits

ROOT = Path(__file__).resolve().parents[2]
ECHO = {"name": "echo", "Name": "Echo", "NAME": "ECHO", "pkg": "echosvc", "http_port": "8090", "grpc_port": "8091"}


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "usage: make new-service NAME=<name>"),
        (["Echo"], "want 2 to 12 lowercase letters or digits"),
        (["e"], "want 2 to 12 lowercase letters or digits"),
        (["abcdefghijklm"], "want 2 to 12 lowercase letters or digits"),
        (["add"], "services/add exists already"),
        (["consul"], "a name the repository uses already"),
    ],
)
def test_a_name_it_cannot_use_is_refused_before_anything_is_written(argv: list[str], said: str) -> None:
    done = subprocess.run(
        [sys.executable, "scripts/new_service", *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert said in done.stderr


def test_the_dashboard_row_is_two_panels_on_a_line_of_their_own(tmp_path: Path) -> None:
    panels = tmp_path / "panels.toml"
    panels.write_text(SOURCE.read_text())
    before = parse(panels.read_text()).panels
    edits.add_dashboard_row(panels, ECHO)
    after = parse(panels.read_text()).panels
    assert after[: len(before)] == before
    row = after[len(before) :]
    assert [(p.id, p.row) for p in row] == [("echo_requests", "echo"), ("echo_business", "echo")]
    assert 'service="echo"' in row[0].expr
    assert "echo_characters_echoed_total" in row[1].expr
    places = layout(after)
    assert places[: len(before)] == layout(before)  # the panels before keep their places
    last_y = max(y for _, y in places[: len(before)])
    assert places[len(before) :] == [(0, last_y + 8), (12, last_y + 8)]


def test_an_edit_whose_anchor_is_gone_says_so(tmp_path: Path) -> None:
    panels = tmp_path / "panels.toml"
    panels.write_text('uid = "x"\ntitle = "x"\n')
    with pytest.raises(edits.AnchorMissing, match=r"no \[\[panels\]\]"):
        edits.add_dashboard_row(panels, ECHO)
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  consul:\n    image: consul\n")
    with pytest.raises(edits.AnchorMissing, match="volumes"):
        edits.add_compose_service(compose, ECHO)
