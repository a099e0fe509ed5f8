"""bench.h2load reads h2load's report whichever unit it gives the run's length in."""

from __future__ import annotations

import pytest

from bench.h2load import _seconds


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("finished in 1.00s, 3503.00 req/s, 224.33KB/s", 1.0),
        ("finished in 995.50ms, 3503.00 req/s, 224.33KB/s", 0.9955),  # seen in CI: a 1 s run that ended early
    ],
)
def test_the_runs_length_in_seconds_or_milliseconds(line: str, seconds: float) -> None:
    assert _seconds(f"starting benchmark...\n{line}\nrequests: 3503 total") == pytest.approx(seconds)


def test_a_report_without_it_is_an_error_that_shows_the_report() -> None:
    with pytest.raises(RuntimeError, match="lacks 'finished in'"):
        _seconds("starting benchmark...")
