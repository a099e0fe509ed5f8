"""`python logwriter.py FILE MAX_BYTES BACKUPS`: copies its standard input to FILE line by line and rotates FILE
at MAX_BYTES (FILE.1 ... FILE.BACKUPS, the oldest dropped), with the standard library's RotatingFileHandler. The
local stack puts one between each part and its log, so a long-running stack's logs stay bounded; it ends when the
part closes its output (exits). Run by path, standard library only: it needs nothing of the launcher."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from typing import BinaryIO


def copy(source: BinaryIO, path: str, *, max_bytes: int, backups: int) -> None:
    """Copies every line of the binary stream `source` to `path`, rotating at `max_bytes`."""
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.terminator = ""  # each line keeps its own newline
    try:
        for raw in iter(source.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            handler.emit(logging.LogRecord("part", logging.INFO, path, 0, line, None, None))
            handler.flush()
    finally:
        handler.close()


def main(argv: list[str]) -> int:
    path, max_bytes, backups = argv[0], int(argv[1]), int(argv[2])
    copy(sys.stdin.buffer, path, max_bytes=max_bytes, backups=backups)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
