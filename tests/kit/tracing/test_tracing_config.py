"""from_env and its parts: off unless OTEL_TRACES_EXPORTER asks, exporters found by name and imported only then;
the rest of the OTEL_* variables read by OpenTelemetry's SDK itself."""

from __future__ import annotations

import os
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kit.env import ConfigError
from kit.tracing import (
    ExporterEntry,
    MissingExporter,
    Tracing,
    exporter_names,
    find_exporter,
    from_env,
    load_exporter,
    otlp_protocol,
    with_exporters,
)


class FakeEntry:
    """An entry point whose class is given, or whose import fails."""

    def __init__(self, loaded: Any = None, *, error: ImportError | None = None) -> None:
        self.value = "fake.module:Exporter"
        self._loaded = loaded
        self._error = error

    def load(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._loaded


class FakeFinder:
    """Finds the entries it was given, and remembers every name asked for."""

    def __init__(self, entries: dict[str, ExporterEntry]) -> None:
        self.entries = entries
        self.asked: list[str] = []

    def __call__(self, name: str) -> ExporterEntry | None:
        self.asked.append(name)
        return self.entries.get(name)


def exporter_class(exporter: SpanExporter) -> Any:
    return lambda: exporter


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OTEL_* variable of the machine's: each test sets its own in the process environment, where the SDK looks."""
    for name in [n for n in os.environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)


def set_environ(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)


OFF = [
    {},
    {"OTEL_TRACES_EXPORTER": ""},
    {"OTEL_TRACES_EXPORTER": "none"},
    {"OTEL_TRACES_EXPORTER": " None "},
    {"OTEL_SERVICE_NAME": "add", "OTEL_TRACES_SAMPLER": "always_on"},
]


@pytest.mark.parametrize("environ", OFF)
def test_off_unless_an_exporter_is_named(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    finder = FakeFinder({})
    set_environ(monkeypatch, environ)

    tracing = from_env(service="add", find=finder)

    assert tracing == Tracing()
    assert not tracing.enabled
    assert finder.asked == []


async def test_tracing_off_closes_as_a_no_op() -> None:
    off = Tracing()
    await off.close()
    await off.close()

    assert (off.enabled, off.tracer, off.provider) == (False, None, None)


NAMES = [
    ({"OTEL_TRACES_EXPORTER": "otlp"}, ["otlp_proto_http"]),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, ["otlp_proto_grpc"]),
    (
        {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
        },
        ["otlp_proto_http"],
    ),
    ({"OTEL_TRACES_EXPORTER": "Console, otlp,console"}, ["console", "otlp_proto_http"]),
    ({"OTEL_TRACES_EXPORTER": "none,console"}, ["console"]),
    ({"OTEL_TRACES_EXPORTER": "otlp_proto_grpc"}, ["otlp_proto_grpc"]),
    ({"OTEL_TRACES_EXPORTER": "none"}, []),
    ({}, []),
]


@pytest.mark.parametrize(("environ", "names"), NAMES)
def test_exporter_names(environ: dict[str, str], names: list[str]) -> None:
    assert exporter_names(environ) == names


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "udp"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
    ],
)
def test_an_unknown_otlp_protocol_is_refused(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        otlp_protocol(environ)


SAMPLERS = [
    ({}, "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,"),
    ({"OTEL_TRACES_SAMPLER": "always_on"}, "AlwaysOnSampler"),
    ({"OTEL_TRACES_SAMPLER": "ALWAYS_OFF"}, "AlwaysOffSampler"),
    ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}, "TraceIdRatioBased{0.25}"),
    # What the SDK cannot use it warns about and ignores, as the specification asks: no refusal to start.
    ({"OTEL_TRACES_SAMPLER": "sometimes"}, "ParentBased{root:AlwaysOnSampler,"),
    ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}, "TraceIdRatioBased{1.0}"),
]


@pytest.mark.parametrize(("environ", "description"), SAMPLERS)
def test_the_sdk_reads_the_sampler(environ: dict[str, str], description: str, monkeypatch: pytest.MonkeyPatch) -> None:
    set_environ(monkeypatch, environ)
    provider = with_exporters([], service="add").provider
    assert provider is not None
    assert provider.sampler.get_description().startswith(description)


@pytest.mark.parametrize(
    ("environ", "service_name"),
    [
        ({"OTEL_TRACES_EXPORTER": "otlp"}, "add"),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SERVICE_NAME": "add-canary"}, "add-canary"),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_RESOURCE_ATTRIBUTES": "service.name=add-eu"}, "add-eu"),
    ],
)
async def test_an_exporter_named_gets_every_span_with_the_service_name(
    environ: dict[str, str], service_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = InMemorySpanExporter()
    finder = FakeFinder({"otlp_proto_http": FakeEntry(exporter_class(memory))})
    set_environ(monkeypatch, environ)

    tracing = from_env(service="add", find=finder)
    assert tracing.tracer is not None
    with tracing.tracer.start_as_current_span("work"):
        pass
    await tracing.close()  # batched: only closing guarantees the export

    assert finder.asked == ["otlp_proto_http"]
    [span] = memory.get_finished_spans()
    assert span.name == "work"
    assert span.resource.attributes["service.name"] == service_name


@pytest.mark.parametrize("environ", [{"OTEL_TRACES_SAMPLER": "always_off"}, {"OTEL_SDK_DISABLED": "true"}])
def test_the_sdk_drops_spans_when_its_variables_say_so(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = InMemorySpanExporter()
    set_environ(monkeypatch, {"OTEL_TRACES_EXPORTER": "console", **environ})

    tracing = from_env(service="add", find=FakeFinder({"console": FakeEntry(exporter_class(memory))}))
    assert tracing.tracer is not None and tracing.provider is not None
    with tracing.tracer.start_as_current_span("dropped") as span:
        assert not span.is_recording()
    tracing.provider.shutdown()

    assert memory.get_finished_spans() == ()


@pytest.mark.parametrize(
    ("environ", "package"),
    [
        ({"OTEL_TRACES_EXPORTER": "otlp"}, "install opentelemetry-exporter-otlp-proto-http"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "opentelemetry-exporter-otlp-proto-grpc",
        ),
        ({"OTEL_TRACES_EXPORTER": "jaeger_thrift"}, "'jaeger_thrift' span exporter is not available"),
    ],
)
def test_a_missing_exporter_package_is_named(
    environ: dict[str, str], package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_environ(monkeypatch, environ)
    with pytest.raises(MissingExporter, match=package):
        from_env(service="add", find=FakeFinder({}))


def test_an_exporter_that_cannot_be_imported_is_missing_too() -> None:
    finder = FakeFinder({"otlp_proto_http": FakeEntry(error=ImportError("No module named 'google.rpc'"))})

    with pytest.raises(MissingExporter, match=r"cannot be imported \(No module named 'google.rpc'\)"):
        load_exporter("otlp_proto_http", find=finder)


def test_something_that_is_not_a_span_exporter_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a span exporter"):
        load_exporter("odd", find=FakeFinder({"odd": FakeEntry(object)}))


def test_the_sdks_console_exporter_is_found_through_its_entry_point() -> None:
    assert isinstance(load_exporter("console"), ConsoleSpanExporter)
    assert find_exporter("no_such_exporter") is None
