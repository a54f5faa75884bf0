"""``onramp cost estimate|breakeven|project|sensitivity|article`` through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from scenario_fixtures import TEMPLATE, measurement_totals

from costmodel.measurement import Measurement, write_measurement
from onramp.cli import main

BASE = ["--template", str(TEMPLATE), "--free-tier", "none", "--shape", "defaults"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["cost", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_estimate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "estimate", "--users", "1000", *BASE, "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["total"], doc["fixed"], doc["variable"]) == ("2.73", "0.80", "1.93")
    assert doc["per_1000_onboardings"] == "2.73"
    assert doc["by_service"]["ses"] == "0.10"
    assert doc["bill"]["total"] == "2.73"


def test_estimate_table_and_xlsx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "bill.xlsx"
    code, out, _ = run(
        capsys, "estimate", "--users", "1000", *BASE, "--out", str(out_file), "--format", "xlsx"
    )
    assert code == 0
    sheet = load_workbook(out_file)["Bill"]  # after Assumptions and Summary (test_workbook.py)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "service" and rows[-1][0] == "TOTAL"
    usd = rows[0].index("usd")
    assert usd == 6 and rows[-1][usd] == f"=SUM(G2:G{len(rows) - 1})"
    assert sum(row[usd] for row in rows[1:-1]) == pytest.approx(2.73)
    code, out, _ = run(capsys, "estimate", "--users", "1000", *BASE)
    assert "fixed: 0.80" in out and "TOTAL" in out


def test_estimate_from_a_measurement(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_measurement(
        Measurement.from_dict(measurement_totals()), tmp_path / "measurement.json"
    )
    code, out, _ = run(
        capsys,
        "estimate",
        "--users",
        "1000",
        *BASE[:4],
        "--measurement",
        str(path),
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    ses = next(row for row in rows if row["service"] == "ses")
    assert (ses["quantity"], ses["usd"]) == ("950", "0.10")  # 0.95 emails per onboarding


def test_breakeven_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "breakeven", "--budget", "50", *BASE, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["budget"] == "50"
    assert int(doc["first_onboardings_over_budget"]) == int(doc["onboardings_within_budget"]) + 1
    assert doc["bill_within"] <= "50.00" < doc["bill_over"]


def test_project_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["project", "--months", "6", "--users", "1000", "--growth", "10%"]
    code, out, _ = run(capsys, *argv, "--simulations", "200", *BASE, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["users"] for r in rows] == [
        "1000",
        "1100",
        "1210",
        "1331",
        "1464",
        "1611",
    ]
    assert {r["budget"] for r in rows} == {"100"}


def test_sensitivity_and_article_tables(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sensitivity", "--users", "200000", *BASE)
    assert code == 0 and "Lambda durations" in out and "swing" in out
    code, out, _ = run(capsys, "article", *BASE[:2])
    assert code == 0 and "API Gateway" in out and "1,000x" in out


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["estimate", "--users", "-5"], "--users"),
        (["estimate", "--users", "many"], "--users"),
        (["project", "--users", "10", "--growth", "abc"], "--growth"),
        (["project", "--users", "10", "--months", "0"], "--months"),
        (["breakeven", "--budget", "lots"], "--budget"),
        (
            ["estimate", "--users", "10", "--measurement", "/no/such/measurement.json"],
            "measurement",
        ),
        (["estimate", "--users", "10", "--format", "xlsx"], "--out"),
        (["estimate", "--users", "10", "--region", "mars-north-1"], "mars-north-1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    code, _, err = run(capsys, *argv, "--template", str(TEMPLATE))
    assert code == 2
    assert err.count("\n") == 1 and named in err and "Traceback" not in err


def test_malformed_measurement_names_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "m.json"
    path.write_text("{oops")
    code, _, err = run(capsys, "estimate", "--users", "10", "--measurement", str(path))
    assert code == 2 and str(path) in err
