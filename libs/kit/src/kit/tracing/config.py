"""`from_env`: tracing as OpenTelemetry's standard OTEL_* variables ask for it, and off when they do not.

OpenTelemetry's SDK reads its own variables: `TracerProvider` the sampler (OTEL_TRACES_SAMPLER,
OTEL_TRACES_SAMPLER_ARG) and OTEL_SDK_DISABLED, its resource detector OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES,
the batch processor OTEL_BSP_*, each exporter its OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout). A value the
SDK cannot use it logs a warning about and ignores, as the OpenTelemetry specification asks.

Read here is only what the SDK reads in its private auto-instrumentation configurator (which would also make the
provider global): OTEL_TRACES_EXPORTER, a comma-separated list of `otlp`, `console`, `none` or any exporter entry
point name. Unset means off: unlike OpenTelemetry's default of `otlp`, nothing is traced unless asked for. `otlp` is
the exporter of OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL: `http/protobuf` (the
specification's default) or `grpc`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kit.env import ConfigError
from kit.tracing.exporters import Finder, find_exporter, load_exporter
from kit.tracing.provider import Tracing, with_exporters

DEFAULT_OTLP_PROTOCOL = "http/protobuf"
"""The OTLP protocol when none is set: the OpenTelemetry specification's default (port 4318 of a collector)."""

_OTLP_EXPORTERS = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}


def from_env(*, service: str, find: Finder = find_exporter) -> Tracing:
    """The service's tracing as the process's OTEL_* variables say: `Tracing()` (off) unless OTEL_TRACES_EXPORTER
    names an exporter. `service` is the service name unless the SDK's OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES)
    gives another. Raises ConfigError for an OTLP protocol it cannot use, MissingExporter (a ConfigError) when the
    package of a named exporter is not installed; exporters are imported only when named."""
    names = exporter_names(os.environ)
    if not names:
        return Tracing()
    return with_exporters([load_exporter(name, find=find) for name in names], service=service)


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
