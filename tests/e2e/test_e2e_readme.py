"""Every snippet of the README's "Calling the services" runs against a real stack (the e2e package's, on its own
ports) exactly as written but for the ports, and answers what its comment says. Shell lines run with bash from the
repository's root (so `.venv/bin/kit` is the installed console script); Python blocks with the project's Python."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from e2e.e2e_stack import ROOT, RunningStack
from kit import cli as kit_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

README = ROOT / "README.md"
SECTION = "## Calling the services"
FENCE = re.compile(r"```(sh|python)\n(.*?)```", re.S)


@dataclass(frozen=True)
class Snippet:
    kind: str  # "sh" (one line) or "python" (one block)
    code: str
    expected: str  # the comment after the command ("" for a Python block: its comments are checked line by line)


def snippets() -> list[Snippet]:
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    found: list[Snippet] = []
    for kind, body in FENCE.findall(section):
        if kind == "python":
            found.append(Snippet(kind, body, ""))
            continue
        for line in body.splitlines():
            command, *comment = re.split(r"\s{2,}#\s", line, maxsplit=1)
            if command.strip():
                found.append(Snippet(kind, command.strip(), "".join(comment).strip()))
    return found


CALLS = ("curl ", ".venv/bin/")
"""The snippets that call the stack; the others start a stack of their own (`... make up`), which this test does
not do a second time."""


def calls() -> list[Snippet]:
    return [s for s in snippets() if s.kind == "python" or s.code.startswith(CALLS)]


def _ports(code: str, stack: RunningStack) -> str:
    trim_grpc, trim_http = stack.ports.trim(1)
    moved = {"8080": stack.ports.add_http, "8081": stack.ports.add_grpc, "8985": trim_http, "8975": trim_grpc}
    return re.sub(r"localhost:(8080|8081|8985|8975)\b", lambda m: f"127.0.0.1:{moved[m[1]]}", code)


def _check(out: str, expected: str) -> None:
    """JSON in the comment is compared as JSON; `X ...` is a prefix; names (dotted, or an UPPERCASE status) are
    the exact words printed; prose ("Prometheus text") asks for some output."""
    words = expected.split()
    if "{" in expected:
        assert json.loads(out) == json.loads(expected[expected.index("{") :])
    elif expected.endswith("..."):
        assert out.startswith(expected[:-3].strip())
    elif words and all("." in w or w.isupper() for w in words):
        assert sorted(out.split()) == sorted(words)
    else:
        assert out.strip(), "no output"


def test_the_readme_has_the_snippets_this_test_runs() -> None:
    found = snippets()
    assert sum(s.code.startswith(".venv/bin/kit ") for s in found) >= 5
    assert sum(s.kind == "python" for s in found) == 1
    for snippet in found:
        assert re.search(r"(^|\s)python3?\s", snippet.code) is None, f"say which Python: {snippet.code}"
    others = [s.code for s in found if s not in calls()]
    assert all(" make up" in f" {code}" for code in others), others  # a new kind of snippet must be run here


@pytest.mark.parametrize("snippet", calls(), ids=lambda s: s.code[:60])
def test_readme_snippet_answers_as_documented(stack: RunningStack, snippet: Snippet) -> None:
    code = _ports(snippet.code, stack)
    argv = [sys.executable, "-c", code] if snippet.kind == "python" else ["bash", "-c", code]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    if snippet.kind == "python":
        expected = [c.strip() for c in re.findall(r"#\s*(.+)$", snippet.code, re.M)]
        assert done.stdout.split() == expected
    else:
        _check(done.stdout, snippet.expected)


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["call", "{add}", "pb.Add/Nope"], 2, "pb.Add has no method 'Nope'; it has: Sum, Concat"),
        (["call", "{add}", "pb.Nope/Sum"], 2, "no service 'pb.Nope'"),
        (["call", "{add}", "Sum"], 2, "want SERVICE/METHOD"),
        (["call", "{add}", "pb.Add/Sum", '{"a": "x"}'], 2, "does not fit pb.SumRequest"),
        (["call", "{add}", "pb.Add/Sum", "{nope"], 2, "does not fit pb.SumRequest"),
        (["call", "{add}", "pb.Add/Sum", "-H", "no-colon"], 2, "want 'key: value'"),
        (["health", "{add}", "pb.Nope"], 1, "NOT_FOUND"),
        (["call", "127.0.0.1:1", "pb.Add/Sum", "--timeout", "2"], 1, "UNAVAILABLE"),
    ],
)
def test_kit_says_why_it_cannot_call(
    stack: RunningStack, argv: list[str], status: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add = f"127.0.0.1:{stack.ports.add_grpc}"
    assert kit_cli.main([a.replace("{add}", add) for a in argv]) == status
    assert message in capsys.readouterr().err


def test_kit_passes_metadata_and_reads_json_from_stdin(stack: RunningStack) -> None:
    add = f"127.0.0.1:{stack.ports.add_grpc}"
    argv = [str(ROOT / ".venv" / "bin" / "kit"), "call", add, "pb.Add/Sum", "-", "-H", "x-request-id: readme-1"]
    done = subprocess.run(argv, input='{"a": 40, "b": 2}', capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"v": "42", "err": ""}), done.stderr
    log = stack.run_dir / "logs" / "add.log"
    assert '"request_id": "readme-1"' in log.read_text() or '"request_id":"readme-1"' in log.read_text()
