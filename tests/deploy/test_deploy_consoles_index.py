"""The consoles' index names every alert of the rules file (it named four of the six)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

yaml = importlib.import_module("yaml")  # PyYAML comes with uvicorn[standard]; the dev group has no stubs for it

ROOT = Path(__file__).resolve().parents[2]


def test_the_consoles_index_names_every_alert() -> None:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules/kit.rules.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}
    index = (ROOT / "deploy/prometheus/consoles/index.html").read_text()
    listed = re.search(r"Alerts</a>:(.*?)\(<code>", index, re.S)
    assert listed is not None, "the index has no list of alerts"
    assert len(alerts) >= 6
    assert {name.strip() for name in listed.group(1).split(",")} == alerts
