"""The bed's network and process plans, read without making anything: names, addresses, where each runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.hosts import net, plan
from deploy.hosts.topology import BRIDGE, BRIDGE_NS, HOSTS, PREFIX, by_address, by_name, servers, with_role
from deploy.local.kitstack.prometheus import PrometheusFiles
from deploy.local.kitstack.tools import Tools

TOOLS = Tools(Path("/t/consul"), Path("/t/prometheus"), Path("/t/python"), None)


def test_every_interface_and_namespace_is_the_beds_and_fits_the_kernels_limit() -> None:
    names = [BRIDGE, BRIDGE_NS] + [n for h in HOSTS for n in (h.netns, h.bridge_port, *net.detour_ports(h))]
    assert all(n.startswith(PREFIX) for n in names)
    assert all(len(n) < 16 for n in names)  # IFNAMSIZ
    assert len(set(names)) == len(names) - len(HOSTS)  # a host's netns and its bridge port share a name


def test_hosts_have_distinct_addresses_and_the_roles_the_issue_asks_for() -> None:
    assert len({h.address for h in HOSTS}) == len(HOSTS)
    assert len(servers()) == 3
    assert [h.name for h in with_role("trim")] == ["trim1", "trim2"]
    assert by_address("10.213.13.21:8500") is by_name("add")
    with pytest.raises(ValueError, match="the hosts are"):
        by_name("nope")


def test_no_link_is_made_in_the_machines_own_namespace() -> None:
    for cmd in net.create_commands():
        if cmd[:3] == ["ip", "netns", "add"]:
            assert cmd[3].startswith(f"{PREFIX}-")
        else:
            assert cmd[1] == "-n" and cmd[2].startswith(f"{PREFIX}-"), cmd
        if "veth" in cmd:  # the peer goes straight into a host's namespace
            assert cmd[cmd.index("netns") + 1].startswith(f"{PREFIX}-")
    for host in HOSTS:
        for cmd in net.detour_commands(host) + net.undetour_commands(host):
            assert cmd[1:3] == ["-n", BRIDGE_NS]


def test_cut_and_restore_act_on_the_hosts_bridge_port() -> None:
    ran: list[list[str]] = []
    host = by_name("trim1")
    net.cut(host, runner=lambda argv: ran.append(list(argv)))
    net.restore(host, runner=lambda argv: ran.append(list(argv)))
    assert ran == [
        ["ip", "-n", BRIDGE_NS, "link", "set", "kmh-trim1", "down"],
        ["ip", "-n", BRIDGE_NS, "link", "set", "kmh-trim1", "up"],
    ]


def test_every_process_runs_in_its_hosts_namespace_through_nsenter() -> None:
    files = PrometheusFiles(Path("/r/prometheus.yml"), None, None)
    specs = [plan.consul(TOOLS, h, Path("/d")) for h in HOSTS if h.has_agent]
    specs += [plan.trim(TOOLS, h, {}) for h in with_role("trim")]
    specs += [plan.add(TOOLS, by_name("add"), {}), plan.prometheus(TOOLS, by_name("prom"), files, Path("/d/p"))]
    for spec in specs:
        assert spec.argv[0] == "nsenter" and spec.argv[1].startswith(f"--net=/run/netns/{PREFIX}-")
        assert plan.inner_argv(spec)[0].startswith("/t/")
    assert not any(s.argv[1].endswith("-load") for s in specs)  # the callers' host runs no server


def test_consul_servers_form_one_cluster_and_clients_join_it() -> None:
    joins = [f"-retry-join={s.address}" for s in servers()]
    for host in HOSTS:
        if not host.has_agent:
            continue
        argv = plan.consul(TOOLS, host, Path("/d")).argv
        assert all(j in argv for j in joins)
        assert ("-bootstrap-expect=3" in argv) == (host.role == "server")
        assert f"-bind={host.address}" in argv


def test_services_register_with_the_agent_of_their_own_host() -> None:
    env = {"TRIM_INSTANCES": "1.2.3.4:5", "CONSUL_HTTP_ADDR": "elsewhere:8500", "KEEP": "1"}
    trim = plan.trim(TOOLS, by_name("trim2"), env)
    add = plan.add(TOOLS, by_name("add"), env)
    for spec in (trim, add):
        assert spec.env["CONSUL_HTTP_ADDR"] == "127.0.0.1:8500"  # the host's own agent
        assert "TRIM_INSTANCES" not in spec.env and spec.env["KEEP"] == "1"
    assert trim.env["TRIM_HOST"] == "10.213.13.32" and add.env["ADD_HOST"] == "10.213.13.21"
    extra = plan.trim(TOOLS, by_name("trim2"), env, extra=True)
    assert extra.name != trim.name and extra.ports != trim.ports
