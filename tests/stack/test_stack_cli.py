"""The launcher's command line on paths that start no process: refusals, errors, and state questions."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from deploy.local.kitstack import cli, docker, launch, local
from deploy.local.kitstack.procs import identity
from deploy.local.kitstack.state import Proc, RunDir, State


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A launcher environment with its own run folder, far from the default ports, forced to local mode."""
    return {"STACK_RUN_DIR": str(tmp_path / "run"), "STACK_PORT_OFFSET": "31000", "MODE": "local", "PATH": ""}


def _record_self(run: RunDir) -> Proc:
    me = identity(os.getpid())
    assert me is not None
    proc = Proc("add", os.getpid(), me.argv, me.start_time, str(run.logs / "add.log"), {"http": 1}, "")
    run.save(State(0.0, 2, cli.options({}).ports, (proc,)))
    return proc


def test_up_with_parts_gone_names_who_holds_their_ports_before_starting_anything(
    env: dict[str, str], held: int, capsys: pytest.CaptureFixture[str]
) -> None:
    env["STACK_CONSUL_PORT"] = str(held)  # Consul is gone, and this test's socket holds its port
    run = RunDir(Path(env["STACK_RUN_DIR"]).resolve())
    me = identity(os.getpid())
    assert me is not None
    proc = Proc("add", os.getpid(), me.argv, me.start_time, str(run.logs / "add.log"), {"http": 1}, "")
    run.save(State(0.0, 2, cli.options(env).ports, (proc,)))
    assert cli.main(["up"], env) == 1
    err = capsys.readouterr().err
    assert f"{held} (Consul HTTP API and UI): held by pid {os.getpid()}" in err
    state = run.load()
    assert state is not None
    assert [p.name for p in state.procs] == ["add"]  # nothing started, nothing forgotten


def test_restart_without_a_stack_or_with_an_unknown_part_is_refused(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["restart", "add"], env) == 1
    assert "`make up` starts it" in capsys.readouterr().err
    run = RunDir(Path(env["STACK_RUN_DIR"]).resolve())
    _record_self(run)
    assert cli.main(["restart", "trim-9"], env) == 1
    assert "consul, prometheus, trim-1, trim-2, add" in capsys.readouterr().err


def test_running_ignores_records_whose_process_is_gone(env: dict[str, str]) -> None:
    run = RunDir(Path(env["STACK_RUN_DIR"]))
    me = _record_self(run)
    state = run.load()
    assert state is not None
    assert local.running(state) == [me]
    stale = State(0.0, 2, state.ports, (Proc("add", me.pid, me.argv, me.start_time - 1, ""),))
    assert local.running(stale) == []


def test_up_names_a_busy_port_before_starting_anything(
    env: dict[str, str], held: int, capsys: pytest.CaptureFixture[str]
) -> None:
    env["STACK_ADD_HTTP_PORT"] = str(held)
    assert cli.main(["up"], env) == 1
    err = capsys.readouterr().err
    assert f"{held} (add HTTP)" in err
    assert "STACK_ADD_HTTP_PORT" in err
    assert not Path(env["STACK_RUN_DIR"], "state.json").exists()


@pytest.mark.parametrize(
    ("argv", "extra", "message"),
    [
        (["up", "--trim", "0"], {}, "want 1 to 10 trim"),
        (["up"], {"TRIM": "many"}, "TRIM='many'"),
        (["ps"], {"MODE": "podman"}, "MODE='podman'"),
        (["up"], {"STACK_UP_TIMEOUT": "-1"}, "STACK_UP_TIMEOUT"),
        (["up"], {"STACK_CONSUL_PORT": "http"}, "STACK_CONSUL_PORT"),
        (["ps"], {"MODE": "docker"}, "no Docker engine answers"),  # PATH is empty: there is no docker
    ],
)
def test_bad_settings_are_refused_with_the_reason(
    env: dict[str, str], argv: list[str], extra: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv, {**env, **extra}) == 1
    assert message in capsys.readouterr().err


def test_ctrl_c_before_any_part_starts_is_one_line(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # as Ctrl-C while `up` renders its configuration, before a Launch

    monkeypatch.setattr(local, "up", interrupted)
    assert cli.main(["up"], env) == cli.INTERRUPTED
    out = capsys.readouterr()
    assert out.err.splitlines() == ["stack: interrupted; `make down` stops any part that was already started"]


def test_down_ps_and_logs_without_a_stack(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["down"], env) == 0
    assert "not running" in capsys.readouterr().out
    assert cli.main(["ps"], env) == 0
    assert "not running" in capsys.readouterr().out
    assert cli.main(["logs"], env) == 0
    assert "no logs" in capsys.readouterr().out
    assert cli.main(["logs", "add"], env) == 1
    assert "no log for add" in capsys.readouterr().err


def test_logs_shows_the_tail_of_the_named_part(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    logs = Path(env["STACK_RUN_DIR"]) / "logs"
    logs.mkdir(parents=True)
    (logs / "add.log").write_text("".join(f"add {i}\n" for i in range(50)))
    (logs / "consul.log").write_text("consul line\n")
    assert cli.main(["logs", "add", "-n", "2"], env) == 0
    out = capsys.readouterr().out
    assert "add 48\nadd 49" in out
    assert "add 47" not in out
    assert "consul line" not in out


def test_compose_commands() -> None:
    cmds = docker.commands(["docker", "compose"], Path("/r/deploy/docker-compose.yml"), trims=3, timeout=90)
    assert cmds["up"] == [
        "docker", "compose", "-f", "/r/deploy/docker-compose.yml", "up", "-d", "--build",
        "--scale", "trim=3", "--wait", "--wait-timeout", "90",
    ]  # fmt: skip
    assert cmds["down"][-5:] == ["--profile", "*", "down", "--remove-orphans", "--volumes"]


def test_a_ctrl_c_while_a_part_starts_waits_until_it_is_recorded() -> None:
    done: list[str] = []

    def start_and_record() -> None:
        with launch.deferred_interrupt():
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the part started, before it is recorded
            done.append("recorded")

    with pytest.raises(KeyboardInterrupt):
        start_and_record()
    assert done == ["recorded"]
    with launch.deferred_interrupt():
        done.append("nothing held back")  # no Ctrl-C: no KeyboardInterrupt
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
