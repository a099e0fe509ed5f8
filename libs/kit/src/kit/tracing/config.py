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

from kit.tracing.exporters import Finder, exporter_names, find_exporter, load_exporter
from kit.tracing.provider import Tracing, with_exporters


def from_env(*, service: str, find: Finder = find_exporter) -> Tracing:
    """The service's tracing as the process's OTEL_* variables say: `Tracing()` (off) unless OTEL_TRACES_EXPORTER
    names an exporter. `service` is the service name unless the SDK's OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES)
    gives another. Raises ConfigError for an OTLP protocol it cannot use, MissingExporter (a ConfigError) when the
    package of a named exporter is not installed; exporters are imported only when named."""
    names = exporter_names(os.environ)
    if not names:
        return Tracing()
    return with_exporters([load_exporter(name, find=find) for name in names], service=service)
