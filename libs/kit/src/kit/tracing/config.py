"""`from_env`: tracing as OpenTelemetry's standard OTEL_* variables ask for it, and off when they do not.

Read here: OTEL_TRACES_EXPORTER (a comma-separated list of `otlp`, `console`, `none`, or any exporter entry point
name; unset means off: unlike OpenTelemetry's own default of `otlp`, nothing is traced unless asked for),
OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL (`http/protobuf`, the default, or `grpc`),
OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_SDK_DISABLED. The exporters read their own
variables (OTEL_EXPORTER_OTLP_ENDPOINT, ..._HEADERS, ..._TIMEOUT), the batch processor its OTEL_BSP_* ones, the
resource OTEL_RESOURCE_ATTRIBUTES, all from the process environment, as OpenTelemetry does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kit import env as kitenv
from kit.env import ConfigError
from kit.tracing.exporters import Finder, find_exporter, load_exporter
from kit.tracing.provider import Tracing, with_exporters

if TYPE_CHECKING:
    # The SDK is imported when a sampler is asked for, that is when tracing is switched on.
    from opentelemetry.sdk.trace.sampling import Sampler

DEFAULT_OTLP_PROTOCOL = "http/protobuf"
"""The OTLP protocol when none is set: the OpenTelemetry specification's default (port 4318 of a collector)."""

_OTLP_EXPORTERS = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}


def from_env(*, service: str, environ: Mapping[str, str] | None = None, find: Finder = find_exporter) -> Tracing:
    """The service's tracing as the OTEL_* variables of `environ` (default: the process environment) say:
    `Tracing()` (off) unless OTEL_TRACES_EXPORTER names an exporter. `service` is the service name unless
    OTEL_SERVICE_NAME gives another. Raises ConfigError for a value it cannot use, MissingExporter (a ConfigError)
    when the package of a named exporter is not installed; exporters are imported only when named."""
    env = os.environ if environ is None else environ
    if kitenv.flag("OTEL_SDK_DISABLED", False, env=env):
        return Tracing()
    names = exporter_names(env)
    if not names:
        return Tracing()
    sampler = sampler_from_env(env)
    exporters = [load_exporter(name, find=find) for name in names]
    return with_exporters(exporters, service=kitenv.string("OTEL_SERVICE_NAME", service, env=env), sampler=sampler)


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """The exporter entry point names OTEL_TRACES_EXPORTER asks for, `otlp` resolved by the OTLP protocol
    variables; empty when unset or `none`."""
    names: list[str] = []
    for item in kitenv.string("OTEL_TRACES_EXPORTER", "none", env=environ).split(","):
        name = item.strip().lower()
        if name == "otlp":
            name = _OTLP_EXPORTERS[otlp_protocol(environ)]
        if name and name != "none" and name not in names:
            names.append(name)
    return names


def otlp_protocol(environ: Mapping[str, str]) -> str:
    """The OTLP protocol for traces: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
    `http/protobuf`."""
    variable = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
    protocol = kitenv.string(variable, "", env=environ)
    if not protocol:
        variable = "OTEL_EXPORTER_OTLP_PROTOCOL"
        protocol = kitenv.string(variable, DEFAULT_OTLP_PROTOCOL, env=environ)
    if protocol not in _OTLP_EXPORTERS:
        raise ConfigError(f"{variable}={protocol!r}: want one of {', '.join(sorted(_OTLP_EXPORTERS))}")
    return protocol


def sampler_from_env(environ: Mapping[str, str]) -> Sampler:
    """The sampler OTEL_TRACES_SAMPLER names (default `parentbased_always_on`), with OTEL_TRACES_SAMPLER_ARG as the
    ratio of the `*traceidratio` samplers (default 1.0)."""
    from opentelemetry.sdk.trace.sampling import (
        ALWAYS_OFF,
        ALWAYS_ON,
        DEFAULT_OFF,
        DEFAULT_ON,
        ParentBasedTraceIdRatio,
        TraceIdRatioBased,
    )

    fixed_samplers: dict[str, Sampler] = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "parentbased_always_on": DEFAULT_ON,
        "parentbased_always_off": DEFAULT_OFF,
    }
    ratio_samplers = {"traceidratio": TraceIdRatioBased, "parentbased_traceidratio": ParentBasedTraceIdRatio}
    name = kitenv.string("OTEL_TRACES_SAMPLER", "parentbased_always_on", env=environ).lower()
    fixed = fixed_samplers.get(name)
    if fixed is not None:
        return fixed
    ratio_sampler = ratio_samplers.get(name)
    if ratio_sampler is None:
        known = ", ".join(sorted([*fixed_samplers, *ratio_samplers]))
        raise ConfigError(f"OTEL_TRACES_SAMPLER={name!r}: want one of {known}")
    raw = kitenv.string("OTEL_TRACES_SAMPLER_ARG", "1.0", env=environ)
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(f"OTEL_TRACES_SAMPLER_ARG={raw!r}: want a ratio between 0 and 1")
    return ratio_sampler(ratio)
