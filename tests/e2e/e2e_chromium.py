"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe, for the browser test.

`--remote-debugging-pipe` makes Chromium read protocol commands from fd 3 and write answers to fd 4, each a JSON
message ended by a NUL byte, so the test needs no DevTools port and no websocket library: the few commands it uses
(navigate, evaluate, screenshot) are a small client over `os.read`/`os.write`. The `--dump-dom`/`--screenshot`
flags alone cannot wait for what a page shows: the Consul UI keeps blocking queries open, so a
`--virtual-time-budget` never runs out, and without one the page is captured before its data arrives.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
"""Flags of the environment notes' probe, plus a few that keep a headless run quiet and its screenshots clean."""

HOW_TO_ENABLE = "no chromium on PATH: run `bash scripts/install-browser.sh` (Debian's chromium) to enable this test"


def find_chromium(env: Mapping[str, str] | None = None) -> str | None:
    """The Chromium to drive: $KIT_CHROMIUM when set, else `chromium` or `chromium-browser` on PATH."""
    environ = os.environ if env is None else env
    chosen = environ.get("KIT_CHROMIUM", "").strip()
    if chosen:
        return chosen
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _high(pipe: tuple[int, int]) -> tuple[int, int]:
    """The pipe's ends moved to fds >= 10, so that placing them on 3 and 4 in the child cannot clobber either."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in pipe)
    for fd in pipe:
        os.close(fd)
    return moved[0], moved[1]


class DevToolsError(RuntimeError):
    """Chromium answered a command with an error, closed the pipe, or did not answer in time."""


class Browser:
    """One headless Chromium process with one page, driven over the DevTools pipe. Use it as a context manager."""

    def __init__(self, binary: str, profile: Path, *, width: int = 1280, height: int = 900) -> None:
        self._buffer = b""
        self._next_id = 0
        self._session = ""
        to_child_r, self._to_child = _high(os.pipe())
        self._from_child, from_child_w = _high(os.pipe())
        # bash puts the pipe ends on fds 3 and 4 (the numbers --remote-debugging-pipe uses), then execs chromium
        redirect = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-'
        args = [*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "--remote-debugging-pipe"]
        self._log = (profile.parent / f"{profile.name}.log").open("wb")
        self.proc = subprocess.Popen(
            ["bash", "-c", redirect, binary, *args, "about:blank"],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its helpers share its process group, which close() ends
        )
        os.close(to_child_r)
        os.close(from_child_w)
        try:
            targets = self.call("Target.getTargets", timeout=30)["targetInfos"]
            page = next(t["targetId"] for t in targets if t["type"] == "page")
            self._session = self.call("Target.attachToTarget", {"targetId": page, "flatten": True})["sessionId"]
            self.call("Page.enable")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def call(self, method: str, params: Mapping[str, Any] | None = None, *, timeout: float = 15.0) -> dict[str, Any]:
        """Sends one command (to the page once attached) and returns its result; DevToolsError on error or time-out."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": dict(params or {})}
        if self._session:
            message["sessionId"] = self._session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline, method)
            if answer.get("id") != self._next_id:
                continue  # an event, or the answer to an earlier command that timed out
            if "error" in answer:
                raise DevToolsError(f"{method}: {answer['error']}")
            result: dict[str, Any] = answer.get("result", {})
            return result

    def _receive(self, deadline: float, method: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DevToolsError(f"{method}: no answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise DevToolsError(f"{method}: chromium closed the pipe (exit code {self.proc.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def open(self, url: str, *, timeout: float = 20.0) -> None:
        """Navigates the page to `url` and waits until its document has loaded."""
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise DevToolsError(f"{url}: {result['errorText']}")
        self.wait_for("document.readyState === 'complete'", timeout=timeout, what=f"{url} loaded")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page; DevToolsError when it throws."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression!r} threw: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, until: Callable[[Any], bool] = bool, timeout: float, what: str) -> Any:
        """Evaluates `expression` every 0.2 s until `until` holds for its value, and returns that value;
        DevToolsError naming `what` and the last value past `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if until(value):
                return value
            if time.monotonic() >= deadline:
                raise DevToolsError(f"waited {timeout}s for {what}; last value {value!r}")
            time.sleep(0.2)

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        """Writes a PNG of the page (the whole scrollable page when `full_page`) to `path`."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")
            width = metrics["cssLayoutViewport"]["clientWidth"]  # the window's width, even if something overflows it
            height = min(metrics["cssContentSize"]["height"], 8000)
            clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            params.update(clip=clip, captureBeyondViewport=True)
        data = self.call("Page.captureScreenshot", params, timeout=30)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Asks Chromium to quit, then ends its process group if it has not within a few seconds."""
        if self.proc.poll() is None:
            try:
                self._session = ""
                self.call("Browser.close", timeout=3)
            except (DevToolsError, OSError):
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):  # its helpers (zygote, renderers) share the group it leads
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()


__all__ = ["FLAGS", "HOW_TO_ENABLE", "Browser", "DevToolsError", "find_chromium"]
