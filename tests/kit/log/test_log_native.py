"""gRPC core's C-level lines (and anything else written to descriptor 2) come out as JSON lines. The capture runs
in a child process, since it rewires that process's stderr. About 1 s."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kit.log.native import as_json_line

CHILD = r"""
import logging, os, sys
from kit.log import capture_native_stderr, configure
configure(service="add", stream=capture_native_stderr(service="add"))
logging.getLogger("addsvc").warning("from python", extra={"k": 1})
os.write(2, b"E0000 00:00:1700000000.123456  4242 hpack_encoder.cc:87] Ignoring key value pair\n")
os.write(2, b"plain text from a library\n")
raise SystemExit("bye")
"""


@pytest.mark.integration  # starts a child process
def test_every_line_written_to_stderr_is_json() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, timeout=60, check=False)
    lines = [json.loads(line) for line in done.stderr.decode().splitlines()]
    by_event = {line["event"]: line for line in lines}
    assert by_event["from python"]["k"] == 1
    grpc_line = by_event["Ignoring key value pair"]
    assert (grpc_line["level"], grpc_line["source"], grpc_line["service"]) == ("error", "hpack_encoder.cc:87", "add")
    assert by_event["plain text from a library"]["logger"] == "native"
    assert by_event["bye"]["level"] == "warning"  # the interpreter's own last words too


def test_a_json_line_passes_as_it_is() -> None:
    assert as_json_line(b'{"event": "x"}\n', service="s") == b'{"event": "x"}\n'
