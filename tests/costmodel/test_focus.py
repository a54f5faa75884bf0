"""The modelled bill as FOCUS 1.2, checked by the FinOps Foundation's own focus-validator.

focus-validator (PyPI) needs Python 3.12 and pins numpy < 2: it lives in its own virtual
environment, .venv-focus (``make .venv-focus/bin/focus-validator``), like checkov. It runs
offline (``--block-download``: the FOCUS 1.2 rules ship inside the package). It reads its
currency-code list relative to the working directory, so it runs from its package folder.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from scenario_fixtures import TEMPLATE

from costmodel.forecast.scenario import load_scenario
from costmodel.pricing.bill_lines import bill_lines
from costmodel.pricing.focus import COLUMNS, focus_unit, read_focus
from onramp.cli import main

REPO = Path(__file__).resolve().parents[2]
VALIDATOR = REPO / ".venv-focus" / "bin" / "focus-validator"
BASE = ["--template", str(TEMPLATE), "--free-tier", "always-free", "--shape", "defaults"]
VALIDATOR_FLAGS = ("--validate-version", "1.2", "--block-download", "--output-type", "console")
RESULT = re.compile(r"^\S+\s+(?P<rule>[\w-]+): (?P<status>PASS|FAIL|SKIPPED)")
OR_LEAVES = {"InvoiceId-C-005-C"}
"""A failing leaf of a passing OR: InvoiceId-C-003-C is "C-004 (null: no invoice) or C-005
(not null: an invoice)"; an estimate has no invoice, so C-004 holds and C-005 cannot."""


def validate(path: Path) -> dict[str, str]:
    """focus-validator's verdict per rule on a FOCUS CSV (FOCUS 1.2, offline)."""
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR} is missing: make .venv-focus/bin/focus-validator")
    package = next(VALIDATOR.parents[1].glob("lib/python3*/site-packages"))
    proc = subprocess.run(
        [str(VALIDATOR), "--data-file", str(path), *VALIDATOR_FLAGS],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=package,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = {m["rule"]: m["status"] for m in map(RESULT.match, proc.stdout.splitlines()) if m}
    assert results, proc.stdout[-2000:]
    return results


def export(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> Path:
    path = tmp_path / "bill.focus.csv"
    code = main(["cost", *argv, *BASE, "--format", "focus", "--out", str(path)])
    capsys.readouterr()
    assert code == 0
    return path


def test_the_estimate_is_valid_focus_1_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = export(capsys, tmp_path, "estimate", "--users", "250000", "--period", "2026-12")
    results = validate(path)
    failed = {rule for rule, status in results.items() if status == "FAIL"}
    assert failed <= OR_LEAVES, failed
    assert results["InvoiceId-C-003-C"] == "PASS"
    assert results["CostAndUsage-D-001-M"] != "FAIL"  # every mandatory column present
    assert sum(status == "PASS" for status in results.values()) > 100


def test_one_row_per_invoice_line_with_the_estimate_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = export(capsys, tmp_path, "estimate", "--users", "250000", "--period", "2026-12")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    bill = load_scenario(template=TEMPLATE, free_tier="always-free").bill(250_000)
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == len(bill_lines(bill))
    assert sum(Decimal(row["BilledCost"]) for row in rows) == bill.total
    assert {row["ChargePeriodStart"] for row in rows} == {"2026-12-01T00:00:00Z"}
    assert {row["ChargePeriodEnd"] for row in rows} == {"2027-01-01T00:00:00Z"}
    assert {row["x_Shape"] for row in rows} == {
        "documented defaults (cold starts 1% of invocations, 400 ms INIT)"
    }
    assert {row["x_FreeTier"] for row in rows} == {"always-free"}
    assert {row["x_PriceCatalogDate"] for row in rows} == {"2026-11-29"}
    assert {row["x_Estimate"] for row in rows} == {"true"}
    assert focus_unit("GB-month") == "GB-Months" and focus_unit("request") == "request"


def test_the_projection_exports_one_charge_period_a_month(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["project", "--users", "1000", "--growth", "10%", "--months", "3", "--period", "2027-01"]
    path = export(capsys, tmp_path, *argv, "--simulations", "100")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    starts = sorted({row["ChargePeriodStart"][:10] for row in rows})
    assert starts == ["2027-01-01", "2027-02-01", "2027-03-01"]
    assert {row["x_Quantile"] for row in rows} == {"P50 volume"}
    failed = {rule for rule, status in validate(path).items() if status == "FAIL"}
    assert failed <= OR_LEAVES, failed


def test_actuals_read_a_focus_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = export(capsys, tmp_path, "estimate", "--users", "250000", "--period", "2026-12")
    billed = read_focus(path)
    assert billed["Amazon Simple Email Service"] == Decimal("25.00")
    assert read_focus(path, end=date(2026, 12, 1)) == {}
    args = ["cost", "actuals", "--start", "2026-12-01T00:00:00Z", "--end", "2027-01-01T00:00:00Z"]
    assert main([*args, "--focus", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["service"]: row for row in report["rows"]}
    assert rows["Amazon Simple Email Service"]["actual_usd"] == "25.00"
    assert any("FOCUS export" in note for note in report["notes"])
    bad = tmp_path / "not-focus.csv"
    bad.write_text("a,b\n1,2\n")
    assert main([*args, "--focus", str(bad)]) == 2
    assert "not a FOCUS export (no BilledCost column)" in capsys.readouterr().err
