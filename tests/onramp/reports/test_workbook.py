"""XLSX for finance, opened with openpyxl: numbers as numbers, formats, formulas, one book."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from scenario_fixtures import TEMPLATE

from costmodel.forecast.scenario import estimate, load_scenario
from onramp.cli import main
from onramp.reports.workbook import CURRENCY

BASE = ["--template", str(TEMPLATE), "--free-tier", "none", "--shape", "defaults"]


def write(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> Path:
    path = tmp_path / "out.xlsx"
    assert main(["cost", *argv, *BASE, "--format", "xlsx", "--out", str(path)]) == 0
    capsys.readouterr()
    return path


def test_estimate_workbook_keeps_the_fixed_variable_split(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    book = load_workbook(write(capsys, tmp_path, "estimate", "--users", "1000"))
    assert book.sheetnames == ["Assumptions", "Summary", "Bill", "Fixed", "By resource"]
    facts = dict(book["Assumptions"].iter_rows(min_row=2, values_only=True))
    assert facts["region"] == "us-east-1" and facts["free tier"] == "none"
    assert facts["shape priced"] == (
        "documented defaults (cold starts 1% of invocations, 400 ms INIT)"
    )
    assert facts["onboardings a month"] == 1000
    assert facts["price catalog retrieved"] == "2026-11-29"
    assert any(str(key).startswith("source ") for key in facts)
    bill = book["Bill"]
    assert [c.value for c in bill[1]] == [
        "service", "region", "item", "quantity", "unit", "unit_price", "usd", "resources", "price"
    ]  # fmt: skip
    lines = list(bill.iter_rows(min_row=2, max_row=bill.max_row - 1))
    assert all(isinstance(row[6].value, (int, float)) for row in lines)  # numbers, not text
    assert all(row[6].number_format == CURRENCY for row in lines)
    assert all(isinstance(row[3].value, (int, float)) for row in lines)
    total = bill.cell(bill.max_row, 7)
    assert bill.cell(bill.max_row, 1).value == "TOTAL"
    assert total.value == f"=SUM(G2:G{bill.max_row - 1})" and total.number_format == CURRENCY
    assert bill.freeze_panes == "A2" and bill.column_dimensions["C"].width > 10
    expected = estimate(1000, load_scenario(template=TEMPLATE, free_tier="none"))
    assert sum(Decimal(str(row[6].value)) for row in lines) == expected.total
    fixed = book["Fixed"]
    fixed_lines = list(fixed.iter_rows(min_row=2, max_row=fixed.max_row - 1, values_only=True))
    assert sum(Decimal(str(row[6])) for row in fixed_lines) == expected.fixed
    summary = [list(row) for row in book["Summary"].iter_rows(min_row=2, values_only=True)]
    assert summary == [
        ["total", f"=Bill!G{bill.max_row}"],
        ["fixed (no onboardings)", f"=Fixed!G{fixed.max_row}"],
        ["variable", "=B2-B3"],
    ]


def test_projection_workbook_formats_money_and_states_the_uncertainty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["project", "--users", "1000", "--growth", "10%", "--months", "4"]
    book = load_workbook(write(capsys, tmp_path, *argv, "--simulations", "200"))
    assert book.sheetnames == ["Assumptions", "Projection"]
    facts = dict(book["Assumptions"].iter_rows(min_row=2, values_only=True))
    assert "sd 2.5 pp" in facts["uncertainty"] and facts["growth"] == "10.0% a month"
    sheet = book["Projection"]
    header = [c.value for c in sheet[1]]
    p50 = header.index("p50") + 1
    cell = sheet.cell(2, p50)
    assert isinstance(cell.value, (int, float)) and cell.number_format == CURRENCY
    assert sheet.cell(2, header.index("users") + 1).number_format == "General"
    assert sheet.freeze_panes == "A2"
