"""JSON lines for what bypasses Python's logging: gRPC core and abseil write their lines in C straight to file
descriptor 2 (`E0000 00:00:1700000000.1 123 hpack_encoder.cc:12] Ignoring key value pair ...`), and so do a
library's prints and the interpreter's last traceback. A JSON log with those lines in it is no longer JSON.

`capture_native_stderr` points descriptor 2 at a pipe and turns each line that comes out of it into a JSON line on
the real stderr; the kit's own handler writes to the real stderr directly. Hand-written because no library on PyPI
does this for a C library's descriptor-level output (structlog and the stdlib see only Python calls).
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

import orjson

# abseil's prefix, which gRPC core uses: severity letter, MMDD, time, thread id, file:line, then "] ".
_ABSL = re.compile(rb"^([IWEF])\d{4} [\d:.]+\s+\d+ ([^\]\s]+:\d+)\] ?(.*)$")
_LEVELS = {b"I": "info", b"W": "warning", b"E": "error", b"F": "critical"}


def capture_native_stderr(*, service: str) -> TextIO:
    """Makes every line written to descriptor 2 a JSON line (logger `native`, with the C source as `source` when
    the line says it); returns a stream on the real stderr, for the kit's own handler. Call once, from main."""
    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    pump = threading.Thread(target=_pump, args=(read_end, real, service), name="kit-native-stderr", daemon=True)
    pump.start()

    def drain() -> None:
        # At exit (after a last traceback is printed): end the pipe and let the pump write what is left.
        sys.stderr.flush()
        os.dup2(real, 2)
        pump.join(timeout=2)

    atexit.register(drain)
    return open(real, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


def as_json_line(raw: bytes, *, service: str) -> bytes:
    """One line of native output as a JSON log line; a line that is already a JSON object is left as it is."""
    line = raw.rstrip(b"\r\n")
    if line.startswith(b"{") and line.endswith(b"}"):
        return line + b"\n"
    fields: dict[str, str] = {
        "ts": datetime.now(UTC).isoformat(),
        "level": "warning",
        "logger": "native",
        "event": "",
        "service": service,
    }
    match = _ABSL.match(line)
    if match:
        fields["level"] = _LEVELS[match.group(1)]
        fields["source"] = match.group(2).decode("utf-8", "backslashreplace")
        line = match.group(3)
    fields["event"] = line.decode("utf-8", "backslashreplace")
    return orjson.dumps(fields) + b"\n"


def _pump(read_end: int, real: int, service: str) -> None:
    with open(read_end, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    os.write(real, as_json_line(line, service=service))
        if pending.strip():
            os.write(real, as_json_line(pending, service=service))


__all__ = ["as_json_line", "capture_native_stderr"]
