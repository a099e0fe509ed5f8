"""The generator's refusals and its edit of the dashboards, without generating a service (well under a second;
tests/scaffold/test_new_service.py generates one end to end)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from string import Template

import pytest

from deploy.grafana.render_dashboards import SOURCE, layout, parse
from scripts.new_service import edits

# PyYAML comes with uvicorn[standard]; imported by name because the dev group has no types-PyYAML stubs
yaml = importlib.import_module("yaml")

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
    with pytest.raises(edits.AnchorMissing, match="no `trim` service"):
        edits.add_compose_service(compose, ECHO)


def test_the_compose_service_is_trims_with_the_new_name_ports_and_no_replicas(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text((ROOT / "deploy" / "docker-compose.yml").read_text())
    edits.add_compose_service(compose, ECHO)
    services = yaml.safe_load(compose.read_text())["services"]
    echo, trim = services["echo"], services["trim"]
    assert echo["build"]["dockerfile"] == "services/echo/Dockerfile"
    assert echo["image"] == "gokit/echosvc:${STACK_IMAGE_TAG:-dev}"
    assert (echo["environment"]["ECHO_HOST"], echo["environment"]["OTEL_SERVICE_NAME"]) == ("0.0.0.0", "echo")
    assert echo["environment"]["CONSUL_HTTP_TOKEN"] == "${STACK_CONSUL_ECHO_TOKEN:-}"  # its own, not trim's
    assert echo["expose"] == ["8091", "8090"]
    assert "http://127.0.0.1:8090/health" in echo["healthcheck"]["test"][-1]
    assert "deploy" not in echo and "ports" not in echo  # one instance, reached through Consul
    assert echo["depends_on"] == trim["depends_on"]
    assert set(services) == {*yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())["services"], "echo"}


def test_the_build_context_keeps_the_new_members_files(tmp_path: Path) -> None:
    ignore = tmp_path / ".dockerignore"
    ignore.write_text((ROOT / ".dockerignore").read_text())
    edits.add_dockerignore(ignore, ECHO)
    edits.add_dockerignore(ignore, ECHO)  # once only
    lines = ignore.read_text().splitlines()
    assert lines.count("!services/echo/pyproject.toml") == lines.count("!services/echo/src/") == 1
    assert lines.index("!services/echo/src/") < lines.index("**/__pycache__/")  # before the caches are dropped again


def _calls(source: str) -> set[str]:
    """Every call of a name or dotted name in `source` (`gc.freeze`, `kitserve.run`, `metrics.endpoint`...)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            parts, func = [], node.func
            while isinstance(func, ast.Attribute):
                parts.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                found.add(".".join([func.id, *reversed(parts)]))
    return found


ADD_ONLY = {
    *("ConsulInstancer", "FixedInstancer", "consul_client", "instancer.start", "isinstance", "trim_first"),
    "shedder.overloaded",  # add's hedged calls to trim wait while add is overloaded
}
"""What add's main calls because add calls trim; a generated service calls no other service."""


def test_the_generated_main_makes_every_call_adds_main_makes() -> None:
    """A guard against drift: when add's composition root starts calling something of the kit (a middleware, a
    step of serving), the template's main.py must follow, or this fails naming the call."""
    template = ROOT / "scripts" / "new_service" / "template" / "src" / "pkg" / "main.py.tmpl"
    generated = _calls(Template(template.read_text()).substitute(ECHO))
    adds = _calls((ROOT / "services" / "add" / "src" / "addsvc" / "main.py").read_text())
    own = {call for call in adds if call.startswith(("make_", "trim"))}
    assert adds - own - ADD_ONLY <= generated, sorted(adds - own - ADD_ONLY - generated)


def test_a_second_service_gets_ports_no_other_part_uses(tmp_path: Path) -> None:
    assert {8080, 8081, 8500, 9090, 8975, 8985} <= edits.taken_ports(tmp_path)  # the fixed stack's
    assert 8090 not in edits.taken_ports(tmp_path)
    (tmp_path / "services" / "echo").mkdir(parents=True)
    (tmp_path / "services" / "echo" / "stack.toml").write_text(
        'module = "echosvc"\nhttp_port = 8090\ngrpc_port = 8091\n'
    )
    assert {8090, 8091} <= edits.taken_ports(tmp_path)  # taken: the generator steps past them (by 10)
