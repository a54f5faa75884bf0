"""Write bills and generic tables (list of dicts or a pandas DataFrame) as CSV, JSON or XLSX.

Example::

    write_bill(bill, "runs/x/bill.xlsx")          # format from the suffix
    write_table(dataframe, "projection.csv")
    print(render_text(bill_rows(bill)))           # aligned text for a terminal
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.pricing.engine import Bill, decimal_text, is_cents
from kernel.errors import UsageError

FORMATS = ("csv", "json", "xlsx")
BILL_COLUMNS = (
    "service", "region", "item", "quantity", "unit", "unit_price", "usd", "resources", "price"
)  # fmt: skip
RESOURCE_COLUMNS = ("service", "resource", "item", "quantity", "unit", "unit_price", "usd")
TOTAL_NOTE = "sum of the invoice lines above"
Rows = Sequence[Mapping[str, Any]]
MONEY_COLUMNS = (
    "usd",
    "total",
    "fixed",
    "variable",
    "budget",
    "p10",
    "p50",
    "p90",
    "bill_low",
    "bill_base",
    "bill_high",
    "bill_within",
    "bill_over",
    "swing",
    "unit_price",
)
"""Columns holding USD amounts, by the project's names (also ``*_usd`` and ``*per_1000*``)."""


def is_money(column: str) -> bool:
    """True when a column holds USD amounts (by the project's column names)."""
    name = column.lower().replace(" ", "_")
    return name in MONEY_COLUMNS or name.endswith("_usd") or "per_1000" in name


def as_rows(table: Any) -> list[dict[str, Any]]:
    """A list of dicts from a list of mappings or a pandas DataFrame."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        return [dict(row) for row in table.to_dict("records")]
    return [dict(row) for row in table]


def bill_rows(bill: Bill) -> list[dict[str, Any]]:
    """The invoice lines as rows (Decimals kept), then a TOTAL row: these sum to the bill."""
    rows = [
        {column: getattr(line, column) for column in BILL_COLUMNS[:-1]}
        | {"quantity": line.quantity.normalize(), "price": line.price_status}
        for line in bill.lines
    ]
    rows.append({"service": "TOTAL", "item": TOTAL_NOTE, "usd": bill.total})
    return rows


def resource_rows(bill: Bill) -> list[dict[str, Any]]:
    """The per-resource table (exact, unrounded): where the money goes, not the bill's sum."""
    return [
        {column: getattr(line, column) for column in RESOURCE_COLUMNS}
        | {"quantity": line.quantity.normalize(), "usd": line.usd.normalize()}
        for line in bill.resource_lines
    ]


def render_bill(bill: Bill) -> str:
    """Both tables as text, each saying what it is; unconfirmed prices called out."""
    text = (
        "Invoice lines: one per usage type and tier in the region, all resources summed, "
        "each rounded to cents. THESE SUM TO THE BILL.\n"
        + render_text(bill_rows(bill))
        + "\nWhere it goes, per resource: exact and unrounded, for reading only "
        "(does not sum to the bill; the invoice lines do).\n" + render_text(resource_rows(bill))
    )
    unconfirmed = bill.unconfirmed_lines
    if unconfirmed:
        text += (
            f"\n{len(unconfirmed)} invoice line(s) use prices marked 'unconfirmed' (no AWS text "
            f"or Price List output confirms them; see the catalog {bill.region}.yaml notes).\n"
        )
    return text


def _columns(rows: Rows) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f") if is_cents(value) else decimal_text(value)
    return str(value)


def to_csv(table: Any) -> str:
    """CSV text (header row first), Decimals written exactly."""
    rows = as_rows(table)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _text(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def to_json(table: Any) -> str:
    """JSON text: a list of objects, Decimals as decimal strings."""
    rows = as_rows(table)
    return json.dumps(rows, indent=2, default=_text) + "\n"


def render_text(table: Any) -> str:
    """An aligned plain-text table; numeric columns right-aligned."""
    rows = as_rows(table)
    columns = _columns(rows)
    cells = [[_text(row.get(column)) for column in columns] for row in rows]
    numeric = [
        all(isinstance(row.get(c), (int, float, Decimal)) or row.get(c) is None for row in rows)
        for c in columns
    ]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]

    def fmt(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(columns), rule, *(fmt(line) for line in cells)]) + "\n"


def write_xlsx(table: Any, path: Path | str, sheet: str = "data") -> None:
    """An XLSX workbook with one sheet; numbers stay numbers (USD columns formatted 0.00)."""
    write_xlsx_sheets({sheet: table}, path)


def write_xlsx_sheets(tables: Mapping[str, Any], path: Path | str) -> None:
    """An XLSX workbook with one sheet per table, in order (USD columns formatted 0.00)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet, table in tables.items():
        rows = as_rows(table)
        columns = _columns(rows)
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(columns)
        for row in rows:
            worksheet.append([_cell(row.get(column)) for column in columns])
        for index, column in enumerate(columns, start=1):
            if column in ("usd", "total") or column.endswith("_usd"):
                for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.00"
    workbook.save(Path(path))


def _cell(value: Any) -> Any:
    if isinstance(value, (int, float, Decimal, str)) or value is None:
        return value
    return str(value)


def write_table(table: Any, path: Path | str, fmt: str | None = None, sheet: str = "data") -> Path:
    """Write a table to ``path`` as csv, json or xlsx (``fmt`` or the file's suffix)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise UsageError(
            f"{path}: unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            write_xlsx(table, path, sheet)
        else:
            path.write_text(to_csv(table) if fmt == "csv" else to_json(table), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path


def write_bill(bill: Bill, path: Path | str, fmt: str | None = None) -> Path:
    """Write a bill: JSON as ``Bill.to_dict()``; CSV as the invoice lines plus a TOTAL row;
    XLSX as a ``bill`` sheet (the invoice lines, summing to the total) and a ``by_resource``
    sheet (where it goes, exact)."""
    path = Path(path)
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind not in ("json", "xlsx"):
        return write_table(bill_rows(bill), path, fmt, sheet="bill")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "json":
            path.write_text(json.dumps(bill.to_dict(), indent=2) + "\n", encoding="utf-8")
        else:
            write_xlsx_sheets({"bill": bill_rows(bill), "by_resource": resource_rows(bill)}, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path
