"""The alerting and recording rules: valid for the real promtool, and behaving as kit.rules.test.yml pins down."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from integration.prometheus_server import PROMETHEUS_DIR, TOOLS

PROMTOOL = TOOLS / "bin" / "promtool"
RULES = PROMETHEUS_DIR / "rules" / "kit.rules.yml"
RULE_TESTS = Path(__file__).with_name("kit.rules.test.yml")


pytestmark = pytest.mark.integration  # every test runs promtool


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL.exists(), "promtool missing: run `make tools`"
    return subprocess.run([str(PROMTOOL), *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


def test_promtool_accepts_the_rules() -> None:
    done = promtool("check", "rules", RULES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 10 rules found" in done.stdout


def test_rules_behave_as_their_unit_tests_say() -> None:
    done = promtool("test", "rules", RULE_TESTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_unit_test_and_a_summary_and_description() -> None:
    rules = RULES.read_text()
    alerts = re.findall(r"^\s+- alert: (\w+)$", rules, flags=re.MULTILINE)
    assert alerts == [
        "InstanceDown",
        "HighErrorRatio",
        "CircuitOpen",
        "NoTrimInstances",
        "RetryBudgetExhausted",
        "LoadShedding",
    ]
    tested = set(re.findall(r"^\s+alertname: (\w+)$", RULE_TESTS.read_text(), flags=re.MULTILINE))
    assert tested == set(alerts)
    assert rules.count("summary: ") == rules.count("description: ") == len(alerts)


def test_a_broken_expectation_fails(tmp_path: Path) -> None:
    # The rule tests can fail: the same file with one expected value changed must not pass.
    broken = RULE_TESTS.read_text().replace("value: 0.04", "value: 0.05")
    broken = broken.replace("../../deploy/prometheus/rules/kit.rules.yml", str(RULES))
    assert "value: 0.05" in broken
    (tmp_path / "broken.test.yml").write_text(broken)
    done = promtool("test", "rules", tmp_path / "broken.test.yml")
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr
