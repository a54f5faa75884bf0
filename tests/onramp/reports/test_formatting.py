"""How pages show values: money as $, small unit prices per million, no NaN/None/dict dumps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onramp.reports.formatting import is_numeric, readable, table


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [
        (Decimal("6.25E-7"), "unit_price", "$0.625 per million"),
        (Decimal("0.10"), "unit_price", "$0.10"),
        (Decimal("1234.5"), "usd", "$1,234.50"),
        (Decimal("-1.53"), "variance_usd", "-$1.53"),
        ("100.00", "bill_within", "$100.00"),
        ("892069", "onboardings_within_budget", "892,069"),
        (110000.00000000001, "quantity", "110,000"),
        (0.000448747, "quantity", "0.0004487"),
        (61.2437, "p50_ms", "61.24"),
        (1000, "users", "1,000"),
        (None, "usd", ""),
        (float("nan"), "p99_ms", ""),
        ({"domain_not_allowed": 9}, "failure_reasons", "domain_not_allowed: 9"),
        (["register", "enrich"], "alarm_breached", "register, enrich"),
        (True, "ok", "yes"),
    ],
)
def test_readable(value: object, column: str, shown: str) -> None:
    assert readable(value, column) == shown


def test_alignment_follows_the_value() -> None:
    assert is_numeric(Decimal("1.5")) and is_numeric("100.00") and is_numeric(3)
    assert not is_numeric("favourable") and not is_numeric(True) and not is_numeric("2026-11-29")


def test_table_hides_the_index_and_formats_cells() -> None:
    html = table([{"figure": "TOTAL", "spend_usd": Decimal("62.06"), "note": None}]).to_html()
    assert "$62.06" in html and "spend usd" in html and "None" not in html
    assert "text-align: right" in html and "text-align: left" in html
    assert 'class="row_heading' not in html  # no index column
