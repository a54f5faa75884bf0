"""One XLSX workbook per command, for finance: numbers as numbers, formulas for the totals.

Sheets: ``Assumptions`` (region, free tier, volume, shape, price dates and sources, anything
else the command states), then for a bill ``Summary`` (total, fixed, variable as formulas over
the bill sheets), ``Bill`` and ``Fixed`` (every invoice line, ``=SUM`` totals), ``By resource``
(the engine's per-resource table, exact and unrounded: it does not sum to the bill), then any tables
the command adds (projection, tornado, ...). Money cells carry a currency format, headers are
frozen, columns sized to their content.

Example::

    write_workbook("estimate.xlsx", assumptions(scenario, users=1000), bill=b, fixed=f)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.pricing.bill_lines import bill_lines
from costmodel.pricing.catalog import load_catalog
from costmodel.pricing.engine import Bill
from kernel.errors import UsageError
from onramp.reports.exports import is_money, resource_rows

CURRENCY = '"$"#,##0.00'
UNIT_PRICE = '"$"#,##0.00########'
QUANTITY = "#,##0.####"
BILL_HEADER = (
    "service", "region", "item", "quantity", "unit", "unit_price", "usd", "resources", "price"
)  # fmt: skip
"""The Bill sheet's columns: the invoice line; usd stays in column G (the ``=SUM``)."""
MAX_WIDTH = 60
BY_RESOURCE_SHEET = "By resource"


def assumptions(scenario: Any, **facts: Any) -> dict[str, Any]:
    """The Assumptions sheet of a scenario: region, free tier, shape, price dates, sources."""
    catalog = load_catalog(scenario.region)
    dates = sorted({price.effective_date for price in catalog.prices.values()})
    sources = sorted({price.source_url for price in catalog.prices.values()})
    return {
        "region": scenario.region,
        "free tier": scenario.free_tier,
        "shape priced": scenario.shape,
        **{key.replace("_", " "): value for key, value in facts.items()},
        "price catalog": f"costmodel/pricing/prices/{scenario.region}.yaml",
        "price catalog retrieved": catalog.retrieved,
        "price effective dates": f"{dates[0]} .. {dates[-1]}" if dates else "",
        "rounding": "each line to the cent (half up), then summed, as AWS's invoice",
        **{f"source {index}": url for index, url in enumerate(sources, start=1)},
    }


def write_workbook(
    path: Path | str,
    facts: Mapping[str, Any],
    *,
    bill: Bill | None = None,
    fixed: Bill | None = None,
    tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> Path:
    """Write the workbook (see the module docstring); UsageError if it cannot be written."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Assumptions"
    sheet.append(["assumption", "value"])
    for key, value in facts.items():
        sheet.append([key, _cell(value)])
    _finish(sheet)
    if bill is not None:
        summary = workbook.create_sheet("Summary")
        total = _bill_sheet(workbook, "Bill", bill)
        rows = [("total", f"=Bill!{total}")]
        if fixed is not None:
            fixed_total = _bill_sheet(workbook, "Fixed", fixed)
            rows += [("fixed (no onboardings)", f"=Fixed!{fixed_total}"), ("variable", "=B2-B3")]
        summary.append(["figure", "usd"])
        for name, formula in rows:
            summary.append([name, formula])
            summary.cell(summary.max_row, 2).number_format = CURRENCY
        _finish(summary)
        _table_sheet(workbook, BY_RESOURCE_SHEET, resource_rows(bill))
    for name, table_rows in (tables or {}).items():
        _table_sheet(workbook, name, table_rows)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path


def _bill_sheet(workbook: Any, title: str, bill: Bill) -> str:
    """A bill's invoice lines and a ``=SUM`` total; returns the total's cell reference."""
    sheet = workbook.create_sheet(title)
    sheet.append(list(BILL_HEADER))
    for line in bill_lines(bill):
        sheet.append([getattr(line, column) for column in BILL_HEADER])
    last = sheet.max_row
    sheet.append(["TOTAL", None, None, None, None, None, f"=SUM(G2:G{max(last, 2)})"])
    for row in sheet.iter_rows(min_row=2):
        row[3].number_format = QUANTITY
        row[5].number_format = UNIT_PRICE
        row[6].number_format = CURRENCY
    _finish(sheet)
    return f"G{sheet.max_row}"


def _table_sheet(workbook: Any, title: str, rows: Sequence[Mapping[str, Any]]) -> None:
    sheet = workbook.create_sheet(title[:31])
    columns = list(dict.fromkeys(key for row in rows for key in row))
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell(row.get(column)) for column in columns])
    for index, column in enumerate(columns, start=1):
        if is_money(column):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = CURRENCY
    _finish(sheet)


def _cell(value: Any) -> Any:
    """Numbers stay numbers (Decimal as Decimal, exact); containers become text."""
    if isinstance(value, (int, float, Decimal, str)) or value is None:
        return value
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _finish(sheet: Any) -> None:
    """Bold frozen header, columns as wide as their content (capped)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        width = max((len(str(v)) for v in column if v is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
