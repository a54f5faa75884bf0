"""Duration and share parsing."""

from __future__ import annotations

import pytest

from kernel.errors import UsageError
from loadtest.units import parse_duration_s, parse_share


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("5m", 300.0), ("1h30m", 5400.0), ("1.5s", 1.5),
     ("800ms", 0.8), (" 2M ", 120.0), ("1m 30s", 90.0)],
)  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration_s(text, "--duration") == pytest.approx(seconds)


def test_bare_unit_is_configurable() -> None:
    assert parse_duration_s("800", "--p95", bare_unit="ms") == pytest.approx(0.8)


@pytest.mark.parametrize("text", ["abc", "", "5x", "m5", "5m abc", "0", "-5s", "0s", "inf", "nan"])
def test_bad_durations_name_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--duration: "):
        parse_duration_s(text, "--duration")


def test_shares() -> None:
    assert parse_share("5%", "x") == pytest.approx(0.05)
    assert parse_share("0.2", "x") == pytest.approx(0.2)
    for bad in ("5", "-1%", "x%", "nan"):
        with pytest.raises(UsageError, match=r"^--flag: "):
            parse_share(bad, "--flag")
