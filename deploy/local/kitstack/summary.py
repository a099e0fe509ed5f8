"""What `up` prints once the stack is healthy: where everything is, and three commands to paste."""

from __future__ import annotations

from dataclasses import dataclass

from .ports import Ports


@dataclass(frozen=True, slots=True)
class Addresses:
    """Where a person reaches each part of a running stack."""

    add_http: str
    add_grpc: str
    consul: str
    prometheus: str
    grafana: str = ""
    jaeger: str = ""

    @classmethod
    def local(cls, ports: Ports) -> Addresses:
        return cls(
            add_http=f"http://127.0.0.1:{ports.add_http}",
            add_grpc=f"127.0.0.1:{ports.add_grpc}",
            consul=f"http://127.0.0.1:{ports.consul_http}",
            prometheus=f"http://127.0.0.1:{ports.prometheus}",
        )

    @classmethod
    def compose(cls, ports: Ports, *, extras: bool = True) -> Addresses:
        """The ports deploy/docker-compose.yml publishes on 127.0.0.1; Grafana and Jaeger with `extras`."""
        return cls(
            add_http=f"http://127.0.0.1:{ports.add_http}",
            add_grpc=f"127.0.0.1:{ports.add_grpc}",
            consul=f"http://127.0.0.1:{ports.consul_http}",
            prometheus=f"http://127.0.0.1:{ports.prometheus}",
            grafana=f"http://127.0.0.1:{ports.grafana}" if extras else "",
            jaeger=f"http://127.0.0.1:{ports.jaeger_ui}" if extras else "",
        )


def curls(add_http: str) -> tuple[str, ...]:
    """Three ready-to-paste calls: Sum, Concat (trim removes every space first), and add's own metrics."""
    json = "-H 'Content-Type: application/json'"
    return (
        f"""curl -s {json} -d '{{"a": 1, "b": 2}}' {add_http}/sum""",
        f"""curl -s {json} -d '{{"a": "1 0 1", "b": "2"}}' {add_http}/concat""",
        f"curl -s {add_http}/metrics | grep '^kit_requests_total'",
    )


def summary(where: Addresses, *, trims: int, seconds: float, mode: str) -> str:
    """The text `up` ends with."""
    rows = [
        ("add HTTP", f"{where.add_http}   (API docs: {where.add_http}/docs)"),
        ("add gRPC", f"{where.add_grpc}   (.venv/bin/kit list {where.add_grpc})"),
        ("Consul UI", f"{where.consul}/ui/"),
        ("Prometheus", f"{where.prometheus}/"),
    ]
    if where.grafana:
        rows.append(("Dashboards", f"{where.grafana}/   (Grafana)"))
    else:
        rows.append(("Dashboards", f"{where.prometheus}/consoles/kit.html"))
    if where.jaeger:
        rows.append(("Traces", f"{where.jaeger}/   (Jaeger)"))
    lines = [f"\nthe stack is up in {seconds:.1f}s ({mode}: Consul, Prometheus, add and {trims} trims)\n"]
    lines += [f"  {name:<11} {value}" for name, value in rows]
    lines += ["", "try:"]
    lines += [f"  {c}" for c in curls(where.add_http)]
    lines += ["", "`make ps` shows each part, `make logs` their logs, `make down` stops it all."]
    return "\n".join(lines)


__all__ = ["Addresses", "curls", "summary"]
