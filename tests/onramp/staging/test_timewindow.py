from datetime import UTC, datetime, timedelta

import pytest

from costmodel.measurement import json_value
from kernel.errors import UsageError
from onramp.staging.timewindow import iso, parse_time, parse_window

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29T10:00:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T10:00:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T11:00:00+01:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("now", NOW),
        ("-90s", NOW - timedelta(seconds=90)),
        ("-30m", NOW - timedelta(minutes=30)),
        ("-1h", NOW - timedelta(hours=1)),
        ("-1.5d", NOW - timedelta(hours=36)),
        ("-1w", NOW - timedelta(days=7)),
    ],
)
def test_parse_time_accepts_iso_and_relative(text: str, expected: datetime) -> None:
    assert parse_time(text, "--start", NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "-1y", "1h", "2026-13-01"])
def test_parse_time_names_the_flag_on_bad_input(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--end .*expected ISO-8601"):
        parse_time(text, "--end", NOW)


def test_window_must_end_after_start() -> None:
    with pytest.raises(UsageError, match="--end 2026-11-29T10:00:00Z is not after --start"):
        parse_window("2026-11-29T11:00:00Z", "2026-11-29T10:00:00Z", NOW)


def test_window_as_block() -> None:
    window = parse_window("-1h", "now", NOW)
    assert json_value(window.as_block()) == {
        "start": "2026-11-29T11:00:00Z",
        "end": "2026-11-29T12:00:00Z",
        "seconds": 3600.0,
    }
    assert iso(NOW) == "2026-11-29T12:00:00Z"
