"""Span exporters by the names OTEL_TRACES_EXPORTER uses, imported only when asked for.

The names are those of OpenTelemetry's `opentelemetry_traces_exporter` entry points: `console` comes with the SDK,
`otlp_proto_http` and `otlp_proto_grpc` with the OTLP exporter packages. A package that is not installed costs
nothing until its exporter is asked for, and then fails with the package to install. `exporter_names` says which
names OTEL_TRACES_EXPORTER asks for (`otlp` resolved by the OTLP protocol variables); `kit.tracing.config` loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

from kit.env import ConfigError

if TYPE_CHECKING:
    # The SDK is imported when tracing is switched on, not by every process that imports the kit's transports.
    from opentelemetry.sdk.trace.export import SpanExporter

DEFAULT_OTLP_PROTOCOL = "http/protobuf"
"""The OTLP protocol when none is set: the OpenTelemetry specification's default (port 4318 of a collector)."""

_OTLP_EXPORTERS = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}

ENTRY_POINT_GROUP = "opentelemetry_traces_exporter"

PACKAGES: dict[str, str] = {
    "otlp_proto_http": "opentelemetry-exporter-otlp-proto-http",
    "otlp_proto_grpc": "opentelemetry-exporter-otlp-proto-grpc",
    "zipkin": "opentelemetry-exporter-zipkin",
}
"""The distribution that provides each exporter name the SDK itself does not."""


class ExporterEntry(Protocol):
    """What `load_exporter` needs of an entry point: where it points, and the class it loads."""

    @property
    def value(self) -> str: ...

    def load(self) -> Any: ...


Finder = Callable[[str], ExporterEntry | None]
"""Finds the entry point of an exporter name, or None when no installed package provides it."""


class MissingExporter(ConfigError):
    """OTEL_TRACES_EXPORTER names an exporter whose package is not installed (or cannot be imported)."""


def find_exporter(name: str) -> ExporterEntry | None:
    """The installed entry point for exporter `name`, if any (reads package metadata, imports nothing)."""
    return next(iter(entry_points(group=ENTRY_POINT_GROUP, name=name)), None)


def load_exporter(name: str, *, find: Finder = find_exporter) -> SpanExporter:
    """Imports exporter `name` and makes one; it reads its own settings (OTEL_EXPORTER_OTLP_ENDPOINT, headers,
    timeout...) from the process environment. Raises MissingExporter naming the package to install."""
    from opentelemetry.sdk.trace.export import SpanExporter

    entry = find(name)
    if entry is None:
        raise MissingExporter(_missing(name, "no installed package provides it"))
    try:
        exporter_class = entry.load()
    except ImportError as exc:
        raise MissingExporter(_missing(name, f"it cannot be imported ({exc})")) from exc
    exporter = exporter_class()
    if not isinstance(exporter, SpanExporter):
        raise ConfigError(f"OTEL_TRACES_EXPORTER: {name!r} ({entry.value}) is not a span exporter")
    return exporter


def _missing(name: str, why: str) -> str:
    package = PACKAGES.get(name)
    hint = f"; install {package}" if package is not None else ""
    return f"OTEL_TRACES_EXPORTER: the {name!r} span exporter is not available: {why}{hint}"


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """The exporter entry point names OTEL_TRACES_EXPORTER asks for, `otlp` resolved by the OTLP protocol
    variables; empty when unset or `none`."""
    names: list[str] = []
    for item in environ.get("OTEL_TRACES_EXPORTER", "").split(","):
        name = item.strip().lower()
        if name == "otlp":
            name = _OTLP_EXPORTERS[otlp_protocol(environ)]
        if name and name != "none" and name not in names:
            names.append(name)
    return names


def otlp_protocol(environ: Mapping[str, str]) -> str:
    """The OTLP protocol for traces: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
    `http/protobuf`."""
    for variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = environ.get(variable, "").strip()
        if protocol:
            if protocol not in _OTLP_EXPORTERS:
                raise ConfigError(f"{variable}={protocol!r}: want one of {', '.join(sorted(_OTLP_EXPORTERS))}")
            return protocol
    return DEFAULT_OTLP_PROTOCOL
