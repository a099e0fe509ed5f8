"""kit.overload.read_config: every knob from `<SERVICE>_SHED_*`, defaults when unset, one clear error when bad."""

from __future__ import annotations

import pytest

from kit.env import ConfigError
from kit.overload import DEFAULTS, read_config


def test_unset_variables_keep_the_defaults() -> None:
    assert read_config("add", {}) == DEFAULTS


def test_each_variable_sets_its_knob() -> None:
    cfg = read_config("add", {"ADD_SHED_LAG": "0.03", "ADD_SHED_TOLERANCE": "1.5", "ADD_SHED_HEADROOM": "2"})
    assert (cfg.lag, cfg.tolerance, cfg.headroom) == (0.03, 1.5, 2.0)


@pytest.mark.parametrize("name", ["ADD_SHED_TOLERANCE", "ADD_SHED_HEADROOM"])
def test_a_factor_under_one_is_refused_by_name(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        read_config("add", {name: "0.5"})
