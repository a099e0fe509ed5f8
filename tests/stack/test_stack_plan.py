"""What the local stack runs (argv, environment, health URLs), and what `up` prints at the end."""

from __future__ import annotations

from pathlib import Path

from deploy.local.kitstack import acl, plan
from deploy.local.kitstack.ports import Ports
from deploy.local.kitstack.prometheus import PrometheusFiles
from deploy.local.kitstack.summary import Addresses, curls, summary
from deploy.local.kitstack.tools import Tools

TOOLS = Tools(Path("/t/consul"), Path("/t/prometheus"), Path("/v/python"), web_assets=Path("/t/web"))
PORTS = Ports.from_env({"STACK_PORT_OFFSET": "10000"})


def test_consul_is_a_dev_agent_on_loopback_with_every_port_from_the_settings() -> None:
    spec = plan.consul(TOOLS, PORTS)
    assert spec.argv[:4] == ("/t/consul", "agent", "-dev", "-ui")
    for flag in ("-client=127.0.0.1", "-bind=127.0.0.1", "-http-port=18500", "-server-port=18300",
                 "-serf-lan-port=18301", "-serf-wan-port=18302", "-dns-port=-1", "-grpc-port=-1"):  # fmt: skip
        assert flag in spec.argv
    assert spec.health == "http://127.0.0.1:18500/v1/status/leader"


def test_prometheus_gets_config_consoles_and_web_assets() -> None:
    files = PrometheusFiles(Path("/r/p.yml"), Path("/d/consoles"), None)
    spec = plan.prometheus(TOOLS, PORTS, files, Path("/r/data"))
    assert "--config.file=/r/p.yml" in spec.argv
    assert "--web.listen-address=127.0.0.1:19090" in spec.argv
    assert "--web.console.templates=/d/consoles" in spec.argv
    assert not any(a.startswith("--web.console.libraries") for a in spec.argv)
    assert "--web.local-assets=/t/web" in spec.argv
    assert spec.health == "http://127.0.0.1:19090/-/ready"


def test_services_point_at_the_stack_consul_on_consecutive_trim_ports() -> None:
    specs = plan.services(TOOLS, PORTS, 3, {"TRIM_INSTANCES": "1.2.3.4:5", "HOME": "/h", "ADD_HOST": "0.0.0.0"})
    assert [s.name for s in specs] == ["trim-1", "trim-2", "trim-3", "add"]
    third, add = specs[2], specs[3]
    assert third.argv == ("/v/python", "-m", "trimsvc")
    assert (third.env["TRIM_GRPC_PORT"], third.env["TRIM_HTTP_PORT"]) == ("18977", "18987")
    assert third.health == "http://127.0.0.1:18987/health"
    assert add.env["ADD_HOST"] == "127.0.0.1"
    assert (add.env["ADD_HTTP_PORT"], add.env["ADD_GRPC_PORT"]) == ("18080", "18081")
    for spec in specs:
        assert spec.env["CONSUL_HTTP_ADDR"] == "127.0.0.1:18500"
        assert "TRIM_INSTANCES" not in spec.env
        assert spec.env["HOME"] == "/h"


def test_ready_means_leader_every_health_and_consul_passing() -> None:
    specs = [plan.consul(TOOLS, PORTS), *plan.services(TOOLS, PORTS, 2, {})]
    names = [c.name for c in plan.checks(specs, PORTS, 2)]
    assert names == ["consul leader", "trim-1", "trim-2", "add", "consul: 2 trim passing", "consul: add passing"]


def test_curls_call_sum_concat_and_metrics_on_add() -> None:
    sum_, concat, metrics = curls("http://127.0.0.1:8080")
    assert """-d '{"a": 1, "b": 2}' http://127.0.0.1:8080/sum""" in sum_
    assert "http://127.0.0.1:8080/concat" in concat
    assert "Content-Type: application/json" in concat
    assert metrics.startswith("curl -s http://127.0.0.1:8080/metrics")


def test_summary_says_where_everything_is() -> None:
    text = summary(Addresses.local(PORTS), trims=2, seconds=3.25, mode="local")
    for want in ("up in 3.2s", "http://127.0.0.1:18080", "127.0.0.1:18081", "http://127.0.0.1:18500/ui/",
                 "http://127.0.0.1:19090/", "http://127.0.0.1:19090/consoles/kit.html", "make down"):  # fmt: skip
        assert want in text
    with_extras = summary(Addresses.compose(PORTS), trims=2, seconds=1, mode="docker")
    assert "Grafana" in with_extras
    assert "http://127.0.0.1:18080" in with_extras
    assert "Grafana" not in summary(Addresses.compose(PORTS, extras=False), trims=2, seconds=1, mode="docker")


def test_consul_enforces_acls_and_each_service_gets_only_its_own_token(tmp_path: Path) -> None:
    tokens = acl.Tokens.load_or_make(tmp_path / "tokens.json")
    assert acl.Tokens.load_or_make(tmp_path / "tokens.json") == tokens  # made once per run folder
    assert (tmp_path / "tokens.json").stat().st_mode & 0o777 == 0o600
    config = acl.write_agent_config(tokens, tmp_path / "acl.hcl")
    assert 'default_policy = "deny"' in config.read_text()
    assert plan.consul(TOOLS, PORTS, acl_config=config).argv[-1] == f"-config-file={config}"
    *trims, add = plan.services(
        TOOLS, PORTS, 2, {"CONSUL_HTTP_TOKEN": "mine"}, {"add": tokens.add, "trim": tokens.trim}
    )
    assert [t.env["CONSUL_HTTP_TOKEN"] for t in trims] == [tokens.trim, tokens.trim]
    assert add.env["CONSUL_HTTP_TOKEN"] == tokens.add


def test_a_service_with_a_stack_toml_runs_beside_add_and_trim(tmp_path: Path) -> None:
    folder = tmp_path / "services" / "echo"
    folder.mkdir(parents=True)
    (folder / "stack.toml").write_text('module = "echosvc"\nenv_prefix = "ECHO"\nhttp_port = 8090\ngrpc_port = 8091\n')
    more = plan.extras(tmp_path, 10000)
    assert [(e.name, e.http_port, e.grpc_port) for e in more] == [("echo", 18090, 18091)]
    tokens = acl.Tokens.load_or_make(tmp_path / "tokens.json")
    grown = acl.Tokens.load_or_make(tmp_path / "tokens.json", [e.name for e in more])
    assert (grown.management, grown.add, grown.trim) == (tokens.management, tokens.add, tokens.trim)
    assert set(grown.services) == {"echo"}
    assert acl.Tokens.load_or_make(tmp_path / "tokens.json", ["echo"]) == grown  # kept once made
    assert acl.policies(grown)["echo"] == 'service "echo" { policy = "write" }\nnode_prefix "" { policy = "read" }\n'
    specs = plan.services(TOOLS, PORTS, 1, {}, grown.by_service(), more)
    assert [s.name for s in specs] == ["trim-1", "echo", "add"]
    echo = specs[1]
    assert echo.argv == ("/v/python", "-m", "echosvc")
    assert (echo.env["ECHO_HTTP_PORT"], echo.env["ECHO_GRPC_PORT"], echo.env["ECHO_REGISTER"]) == (
        "18090",
        "18091",
        "true",
    )
    assert echo.env["CONSUL_HTTP_ADDR"] == "127.0.0.1:18500"
    assert echo.env["CONSUL_HTTP_TOKEN"] == grown.services["echo"] != grown.trim  # its own token, no one else's
    names = [c.name for c in plan.checks(specs, PORTS, 1)]
    assert names == [
        "consul leader",
        "trim-1",
        "echo",
        "add",
        "consul: 1 trim passing",
        "consul: echo passing",
        "consul: add passing",
    ]
