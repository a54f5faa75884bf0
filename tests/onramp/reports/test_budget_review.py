"""The budget review: Cost Explorer exports read (onramp.staging), the month reviewed and its
variances named (costmodel.forecast.budget_review)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from costmodel.forecast.budget_review import (
    BudgetReview,
    CostForecast,
    label,
    measured_review,
    review_month,
)
from costmodel.pricing.engine import price_usage
from kernel.errors import UsageError
from onramp.reports.notebooks import PROJECT_ROOT
from onramp.staging.cost_explorer_export import read_cost_explorer, read_cost_forecast

SAMPLES = PROJECT_ROOT / "samples" / "cost-explorer"
CSV_HEADER = '"Service","Lambda($)","DynamoDB($)","Total costs($)"\n'


def _csv(tmp_path, lines: str) -> str:
    path = tmp_path / "costs.csv"
    path.write_text(CSV_HEADER + lines, encoding="utf-8")
    return path


def test_console_csv_and_api_json_agree() -> None:
    from_csv = read_cost_explorer(SAMPLES / "daily-costs-by-service.csv")
    from_json = read_cost_explorer(SAMPLES / "daily-costs-by-service.json")
    assert from_csv.daily_totals() == from_json.daily_totals()
    assert sorted(from_csv.by_service().values()) == sorted(from_json.by_service().values())


def test_run_rate_and_pro_rated_budget(tmp_path) -> None:
    costs = read_cost_explorer(
        _csv(
            tmp_path,
            '"Service total","2.0","1.0","3.0"\n'
            '"2026-06-01","0.6","0.4","1.0"\n'
            '"2026-06-02","0.7","0.3","1.0"\n'
            '"2026-06-03","0.7","","0.7"\n',
        )
    )
    review = review_month(costs, Decimal(27))
    assert review.month == date(2026, 6, 1)
    assert review.as_of == date(2026, 6, 3)
    assert review.month_to_date == Decimal("2.70")
    assert review.budget_to_date == Decimal("2.70")
    assert review.run_rate_forecast == Decimal("27.00")
    rows = {row["figure"]: row for row in review.rows()}
    assert set(rows) == {"month to date", "forecast: run rate"}
    assert rows["month to date"]["variance"] == "favourable"
    assert rows["forecast: run rate"]["variance_usd"] == Decimal("0.00")


def test_the_latest_month_is_reviewed(tmp_path) -> None:
    costs = read_cost_explorer(
        _csv(tmp_path, '"2026-05-31","50","0","50"\n"2026-06-01","1","0","1"\n')
    )
    review = review_month(costs, Decimal(100))
    assert (review.month, review.month_to_date) == (date(2026, 6, 1), Decimal("1.00"))
    may = review_month(costs, Decimal(100), month=date(2026, 5, 15))
    assert (may.as_of, may.run_rate_forecast) == (date(2026, 5, 31), Decimal("50.00"))


def test_cost_explorer_forecast_is_added_to_spend_to_date() -> None:
    forecast = read_cost_forecast(SAMPLES / "forecast.json")
    data = json.loads((SAMPLES / "forecast.json").read_text(encoding="utf-8"))
    assert forecast.mean == Decimal(data["Total"]["Amount"]).quantize(Decimal("0.01"))
    assert forecast.lower < forecast.mean < forecast.upper
    review = BudgetReview(date(2026, 11, 1), date(2026, 11, 20), Decimal(100), Decimal(60))
    review = replace(review, cost_explorer_forecast=forecast)
    rows = {row["figure"]: row for row in review.rows()}
    assert rows["forecast: Cost Explorer"]["spend_usd"] == Decimal(60) + forecast.mean


def test_labels() -> None:
    assert label(Decimal("100.00"), Decimal(100)) == "favourable"
    assert label(Decimal("100.01"), Decimal(100)) == "unfavourable"
    forecast = CostForecast(Decimal(1), None, None)
    review = BudgetReview(date(2026, 2, 1), date(2026, 2, 14), Decimal(100), Decimal(55), forecast)
    rows = {row["figure"]: row["variance"] for row in review.rows()}
    assert rows == {
        "month to date": "unfavourable",
        "forecast: run rate": "unfavourable",
        "forecast: Cost Explorer": "favourable",
    }


def test_json_without_groups_uses_the_total(tmp_path) -> None:
    path = tmp_path / "costs.json"
    result = {"TimePeriod": {"Start": "2026-06-01", "End": "2026-06-02"}, "Groups": []}
    result["Total"] = {"NetUnblendedCost": {"Amount": "1.5", "Unit": "USD"}}
    path.write_text(json.dumps({"ResultsByTime": [result]}), encoding="utf-8")
    assert read_cost_explorer(path).daily_totals() == {date(2026, 6, 1): Decimal("1.5")}


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("costs.csv", '"Date","Cost"\n', "first header cell"),
        ("costs.csv", '"Service","Total costs($)"\n', "no '<service>"),
        ("costs.csv", CSV_HEADER + '"2026-06-01","x","1","1"\n', "line 2"),
        ("costs.csv", CSV_HEADER + '"June 1","1","1","2"\n', "not a date"),
        ("costs.json", '{"ResultsByTime": 3}', "ResultsByTime"),
        ("costs.json", "{", "not valid JSON"),
        ("costs.json", '{"ResultsByTime": [{"TimePeriod": {}}]}', r"ResultsByTime\[0\]"),
        ("costs.xlsx", "", "expected a .csv or .json"),
    ],
)
def test_bad_exports_name_the_file_and_problem(tmp_path, name, content, message) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as caught:
        read_cost_explorer(path)
    assert str(path) in str(caught.value)


def test_missing_export_and_bad_forecast(tmp_path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        read_cost_explorer(tmp_path / "missing.csv")
    (tmp_path / "forecast.json").write_text('{"ResultsByTime": []}', encoding="utf-8")
    with pytest.raises(UsageError, match=r"Total\.Amount"):
        read_cost_forecast(tmp_path / "forecast.json")


def test_measured_review_totals_the_bill() -> None:
    bill = price_usage(
        {
            "resources": [
                {
                    "service": "lambda",
                    "name": "f",
                    "requests": 3_000_000,
                    "duration_ms": 120,
                    "memory_mb": 1536,
                }
            ]
        },
        free_tier="always-free",
    )
    rows = measured_review(bill, Decimal(2))
    assert rows[-1] == {
        "figure": "TOTAL",
        "spend_usd": Decimal("2.73"),
        "budget_usd": Decimal("2.00"),
        "variance_usd": Decimal("-0.73"),
        "variance": "unfavourable",
    }
    assert rows[0] == {"figure": "lambda", "spend_usd": Decimal("2.73")}
