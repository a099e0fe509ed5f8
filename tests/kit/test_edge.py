import pytest

from kit.edge import Edge
from kit.env import ConfigError
from kit.transport.grpc import GrpcLimits
from kit.transport.http import HttpLimits


def test_unset_variables_keep_the_defaults_and_trust_no_proxy() -> None:
    assert Edge.from_env("ADD", {}) == Edge(HttpLimits(), GrpcLimits(), ())


def test_each_limit_has_its_variable() -> None:
    edge = Edge.from_env(
        "ADD",
        {
            "ADD_HTTP_MAX_HEADER_BYTES": "4096",
            "ADD_HTTP_MAX_HEADERS": "10",
            "ADD_HTTP_MAX_REQUEST_LINE": "1024",
            "ADD_HTTP_HEADER_TIMEOUT": "1.5",
            "ADD_HTTP_BODY_TIMEOUT": "3",
            "ADD_HTTP_KEEPALIVE_TIMEOUT": "2.5",
            "ADD_HTTP_MAX_CONNECTIONS": "50",
            "ADD_HTTP_SHED_HOLD": "0",
            "ADD_GRPC_MAX_METADATA_BYTES": "2048",
            "ADD_GRPC_MAX_CONCURRENT_STREAMS": "8",
            "ADD_GRPC_MIN_PING_INTERVAL": "30",
            "ADD_GRPC_MAX_CONNECTION_IDLE": "60",
            "ADD_GRPC_MAX_CONNECTIONS": "20",
            "ADD_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7",
        },
    )
    assert edge.http == HttpLimits(4096, 10, 1024, 1.5, 3.0, 2.5, 50, shed_hold=0.0)
    assert edge.http.keepalive_seconds == 3
    assert edge.grpc == GrpcLimits(2048, 8, 30.0, 60.0, 20)
    assert edge.trusted_proxies == ("10.0.0.0/8", "192.0.2.7")
    assert ("grpc.max_metadata_size", 2048) in edge.grpc.options()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRIM_TRUSTED_PROXIES", "not-an-ip"),
        ("TRIM_HTTP_MAX_HEADERS", "0"),
        ("TRIM_HTTP_HEADER_TIMEOUT", "-1"),
        ("TRIM_GRPC_MAX_METADATA_BYTES", "12"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Edge.from_env("TRIM", {name: value})
