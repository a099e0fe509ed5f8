"""deploy/k8s/ validated against the Kubernetes API's own JSON schemas (PyPI's kubernetes-validate ships them per
Kubernetes version; strict: an unknown field is an error), since no Kubernetes runs here; then what the schemas
cannot say: probes on /health and on gRPC health, resources, a disruption budget per workload, selectors that
select, and a Consul cluster of three servers with an agent on every node."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils as k8s

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
# the oldest Kubernetes still maintained upstream when this was written, and the newest the package knows
VERSIONS = ("1.32.0", k8s.latest_version())
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                yield f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc


DOCS = dict(documents())


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in DOCS.values() if d["kind"] == kind]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workload["spec"]["template"]["spec"]["containers"])


def test_the_folder_holds_the_whole_kit() -> None:
    names = {(d["kind"], d["metadata"]["name"]) for d in DOCS.values()}
    for name in ("add", "trim"):
        assert {("Deployment", name), ("Service", name), ("PodDisruptionBudget", name)} <= names
    assert {("StatefulSet", "consul-server"), ("DaemonSet", "consul-client"), ("Namespace", "kit")} <= names


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_manifest_is_valid_for_the_kubernetes_api(name: str, version: str) -> None:
    k8s.validate(DOCS[name], version, strict=True)


def test_the_validation_can_fail() -> None:
    broken = copy.deepcopy(of_kind("Deployment")[0])
    broken["spec"]["replica"] = broken["spec"].pop("replicas")  # a typo: an unknown field
    with pytest.raises(k8s.ValidationError):
        k8s.validate(broken, VERSIONS[-1], strict=True)
    broken = copy.deepcopy(of_kind("Deployment")[0])
    broken["spec"]["replicas"] = "two"
    with pytest.raises(k8s.ValidationError):
        k8s.validate(broken, VERSIONS[-1], strict=True)


@pytest.mark.parametrize("name", ["add", "trim"])
def test_services_are_probed_on_health_and_grpc_health_and_bounded(name: str) -> None:
    (deployment,) = [d for d in of_kind("Deployment") if d["metadata"]["name"] == name]
    (container,) = containers(deployment)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["livenessProbe"]["grpc"]["port"] == ports["grpc"]
    env = {e["name"]: e for e in container["env"]}
    # registered with the agent of the pod's own node, under the pod's own address
    assert env["CONSUL_HTTP_ADDR"]["value"] == "$(HOST_IP):8500"
    assert env[f"{name.upper()}_ADVERTISE_HOST"]["value"] == "$(POD_IP)"
    # the kit drains for *_GRACE seconds on SIGTERM: Kubernetes must wait longer before it kills
    grace = int(env[f"{name.upper()}_GRACE"]["value"])
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > grace


@pytest.mark.parametrize("kind", WORKLOADS)
def test_every_container_has_requests_and_limits(kind: str) -> None:
    for workload in of_kind(kind):
        for container in containers(workload):
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_every_replicated_workload_has_a_disruption_budget_that_selects_it() -> None:
    budgets = of_kind("PodDisruptionBudget")
    for workload in of_kind("Deployment") + of_kind("StatefulSet"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, workload["metadata"]["name"]
        budget = matching[0]["spec"]
        # a budget that leaves no pod to evict would block every node drain
        assert budget.get("minAvailable", 0) < workload["spec"]["replicas"] or budget.get("maxUnavailable", 0) >= 1


def test_every_service_selects_the_pods_of_a_workload() -> None:
    pods = [w["spec"]["template"]["metadata"]["labels"] for k in WORKLOADS for w in of_kind(k)]
    for service in of_kind("Service"):
        selector = service["spec"]["selector"]
        assert any(selector.items() <= labels.items() for labels in pods), service["metadata"]["name"]


def test_consul_runs_three_servers_and_an_agent_on_every_node() -> None:
    (servers,) = of_kind("StatefulSet")
    args = containers(servers)[0]["args"]
    assert servers["spec"]["replicas"] == 3 and "-bootstrap-expect=3" in args
    joins = [a for a in args if a.startswith("-retry-join=")]
    assert len(joins) == 3
    (agents,) = of_kind("DaemonSet")
    agent = containers(agents)[0]
    assert "-server" not in agent["args"] and [a for a in agent["args"] if a.startswith("-retry-join=")] == joins
    assert {"containerPort": 8500, "hostPort": 8500, "name": "http"} in agent["ports"]
