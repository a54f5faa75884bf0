"""Values and tables for people: money as $, quantities rounded for reading, no NaN or None.

Shared by report.html and the rendered notebooks. Exact figures stay in the exports
(CSV/XLSX/JSON/FOCUS); these are only how a page shows them.

Example::

    readable(Decimal("6.25E-7"), "unit_price")      # "$0.625 per million"
    readable(Decimal("1234.5"), "usd")              # "$1,234.50"
    table(rows)                                     # a pandas Styler: no index, formatted
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from onramp.reports.exports import is_money

SMALL_PRICE = Decimal("0.01")
"""Unit prices below a cent read better per million units."""
SIGNIFICANT = 4
MAX_DECIMALS = 8


def readable(value: Any, column: str = "") -> str:
    """One cell as text: money as $ (small unit prices per million), numbers rounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if value.isdigit() and not is_money(column):
            return f"{int(value):,}"  # a count sent as text (``BreakEven.to_dict``)
        number = _decimal(value) if is_money(column) else None
        return value if number is None else readable(number, column)
    if isinstance(value, (int, float, Decimal)):
        return _money(Decimal(str(value)), column) if is_money(column) else _number(value)
    return str(value)


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.lstrip("$").replace(",", ""))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _money(amount: Decimal, column: str) -> str:
    if column == "unit_price" and 0 < abs(amount) < SMALL_PRICE:
        return f"${_number(amount * 1_000_000)} per million"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == amount.quantize(Decimal("0.01")):
        return f"{sign}${amount:,.2f}"
    return f"{sign}${_number(amount)}"


def _number(value: float | Decimal | int) -> str:
    """A number with separators: whole part kept, 4 significant digits when it has decimals."""
    if isinstance(value, int):
        return f"{value:,}"
    number = float(value)
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    digits = max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(number)))) if number else 0
    text = f"{number:,.{min(digits, MAX_DECIMALS)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_numeric(value: Any) -> bool:
    """Numbers, and numbers sent as text ("100.00"), are right-aligned; text left-aligned."""
    if isinstance(value, str):
        return _decimal(value) is not None
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def text_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every cell of ``rows`` made readable (see ``readable``)."""
    return [{column: readable(value, column) for column, value in row.items()} for row in rows]


def table(rows: Any, caption: str = "") -> Any:
    """A pandas Styler of rows (or a DataFrame): no index, readable cells, numbers right."""
    import pandas as pd

    records = rows.to_dict("records") if hasattr(rows, "to_dict") else [dict(r) for r in rows]
    columns = list(dict.fromkeys(key for row in records for key in row))
    numeric = {c for c in columns if any(is_numeric(row.get(c)) for row in records)}
    frame = pd.DataFrame(text_rows(records), columns=columns).fillna("")
    frame.columns = [c.replace("_", " ") for c in columns]
    numeric = {c.replace("_", " ") for c in numeric}
    columns = list(frame.columns)
    styler = frame.style.hide(axis="index")
    styler = styler.set_properties(
        subset=[c for c in columns if c in numeric], **{"text-align": "right"}
    )
    styler = styler.set_properties(
        subset=[c for c in columns if c not in numeric], **{"text-align": "left"}
    )
    styler = styler.set_table_styles(
        [{"selector": "th", "props": "text-align: left; padding: 0.2rem 0.5rem;"}]
    )
    return styler.set_caption(caption) if caption else styler
