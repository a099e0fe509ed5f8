import kit.transport
import kit.transport.http


def test_public_names_exist_and_are_sorted() -> None:
    names = kit.transport.http.__all__

    assert all(hasattr(kit.transport.http, name) for name in names)
    assert list(names) == sorted(names)
    assert {
        "DecodeRequest",
        "EncodeResponse",
        "ErrorEncoder",
        "Int64",
        "add_health_route",
        "add_metrics_route",
        "add_route",
        "client_endpoint",
        "default_error_encoder",
        "model_decoder",
        "new_app",
    } <= set(names)


def test_transport_package_exports_nothing_itself() -> None:
    assert kit.transport.__all__ == []
