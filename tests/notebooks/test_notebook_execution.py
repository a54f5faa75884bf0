"""Every notebook executed on the sample run: the figures it records match the packages'."""

from __future__ import annotations

import csv
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from costmodel.forecast.article import compare_with_article
from costmodel.forecast.breakeven import breakeven
from costmodel.forecast.scenario import estimate, load_scenario
from onramp.cli.report import sample_notices
from onramp.reports.load_analysis import what_to_change
from onramp.reports.notebooks import FIGURES_MIME, NOTEBOOKS, recorded

SAMPLE_CE_CSV = "samples/cost-explorer/daily-costs-by-service.csv"
STEMS = [name.removesuffix(".ipynb") for name in NOTEBOOKS]


@pytest.mark.parametrize("stem", STEMS)
def test_each_notebook_ran_and_rendered(sample_report, stem) -> None:
    notebook = sample_report.notebook(stem)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert recorded(notebook) == sample_report.figures[stem]
    html = (sample_report.out_dir / f"{stem}.html").read_text(encoding="utf-8")
    figures = [c for c in notebook.cells if "load_plots." in c.source or "plots." in c.source]
    pngs = [o for c in figures for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == len(figures) > 0, "every figure cell shows its figure"
    assert html.count("data:image/png;base64") >= len(figures)
    assert "Traceback" not in html
    assert FIGURES_MIME not in html


def test_cost_projection_matches_the_cost_model(sample_report) -> None:
    figures = sample_report.figures["cost_projection"]
    scenario = load_scenario(sample_report.run_dir, free_tier="always-free")
    month = estimate(1000, scenario)
    assert figures["users_per_month"] == 1000
    assert Decimal(figures["total_usd"]) == month.total
    assert Decimal(figures["fixed_usd"]) == month.fixed
    assert Decimal(figures["per_1000_usd"]) == month.per_1000
    limit = breakeven(scenario, Decimal(100))
    assert figures["breakeven_users"] == limit.within_budget
    assert figures["first_over_budget_users"] == figures["breakeven_users"] + 1
    assert scenario.bill(figures["breakeven_users"]).total <= Decimal(100)
    assert scenario.bill(figures["first_over_budget_users"]).total > Decimal(100)
    article = compare_with_article(scenario=scenario)
    assert Decimal(figures["article_true_total_usd"]) == article[-1]["true_usd"]
    assert replace(scenario, free_tier="none").bill(1000).total == article[-1]["true_usd"]


def test_cost_projection_exports_the_same_bill(sample_report) -> None:
    figures = sample_report.figures["cost_projection"]
    exports = sample_report.out_dir / "exports"
    assert {p.name for p in exports.iterdir()} >= set(figures["exports"])
    with (exports / "bill.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["service"] == "TOTAL"
    assert rows[-1]["usd"] == figures["total_usd"]
    assert sum(Decimal(row["usd"]) for row in rows[:-1]) == Decimal(figures["total_usd"])
    book = load_workbook(exports / "cost_projection.xlsx")
    assert book.sheetnames == [
        "Assumptions",
        "Summary",
        "Bill",
        "Fixed",
        "By resource",
        "Projection",
        "Sensitivity",
        "Break-even",
        "Article vs true",
    ]
    assumptions = dict(book["Assumptions"].iter_rows(min_row=2, values_only=True))
    assert assumptions["shape priced"] == "measured: run sample-run"
    assert assumptions["sample data"] == "no"  # a copy of the sample outside samples/


def test_sample_data_is_labelled_on_its_pages(sample_report) -> None:
    label = sample_report.figures["budget_review"]["sample_data"]
    assert label.startswith("SAMPLE DATA: not your account (samples/cost-explorer/")
    page = (sample_report.out_dir / "budget_review.html").read_text(encoding="utf-8")
    assert page.count("SAMPLE DATA: not your account") == 1  # the banner (figure: test_plots)
    assert page.index("SAMPLE DATA") < page.index("Budget review (finance)")  # at the very top
    assert sample_report.figures["cost_projection"]["sample_data"] == ""
    pages = [sample_report.out_dir / f"{Path(name).stem}.html" for name in NOTEBOOKS]
    assert sample_notices(pages) == [f"budget_review.html: {label}"]  # onramp report prints


@pytest.mark.parametrize("stem", ["cost_projection", "load_analysis", "budget_review"])
def test_pages_read_as_reports(sample_report, stem: str) -> None:
    page = (sample_report.out_dir / f"{stem}.html").read_text(encoding="utf-8")
    assert "<caption>Parameters of this page</caption>" in page
    assert 'class="jp-CodeMirrorEditor' not in page and "In&nbsp;[" not in page  # no code
    for raw in (">NaN<", ">None<", "{'", "= {", "...</td>"):
        assert raw not in page, raw
    assert "$" in page


def test_load_analysis_durations_match_the_invocation_records(sample_report) -> None:
    figures = sample_report.figures["load_analysis"]
    with (sample_report.run_dir / "invocations.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_function: dict[str, list[float]] = {}
    for row in rows:
        by_function.setdefault(row["function"], []).append(float(row["duration_ms"]))
    expected = {name: round(float(np.percentile(v, 99)), 2) for name, v in by_function.items()}
    assert figures["p99_ms"] == expected
    assert figures["alarm_ms"] == 1000.0
    assert figures["alarm_breached"] == [name for name, p99 in expected.items() if p99 > 1000]


def test_load_analysis_prices_the_measured_run(sample_report) -> None:
    figures = sample_report.figures["load_analysis"]
    # the notebook prices with report.html's profile (it used list prices, and disagreed)
    assert figures["free_tier"] == "always-free"
    scenario = load_scenario(sample_report.run_dir, free_tier="always-free")
    measured = estimate(figures["users_per_month"], scenario)
    assert Decimal(figures["total_usd"]) == measured.total
    assert Decimal(figures["per_1000_usd"]) == measured.per_1000
    savings = {name: Decimal(usd) for name, usd in figures["savings_usd"].items()}
    expected = what_to_change(scenario, figures["users_per_month"])
    assert savings == {row["change"]: row["saving_usd"] for row in expected}
    assert savings["as deployed"] == 0
    # at list prices the changes save money; the always-free tier absorbs Lambda at 1M
    listed = {
        row["change"]: row["saving_usd"]
        for row in what_to_change(replace(scenario, free_tier="none"), figures["users_per_month"])
    }
    assert listed["every function on arm64"] > listed["every function on x86_64"]
    assert listed["log volume -50%"] > 0
    assert listed["memory 128 MB"] > 0


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_budget_review_variances(sample_report) -> None:
    figures = sample_report.figures["budget_review"]
    with open(SAMPLE_CE_CSV, encoding="utf-8") as handle:
        days = [row for row in csv.DictReader(handle) if row["Service"] != "Service total"]
    month_to_date = _cents(sum(Decimal(row["Total costs($)"]) for row in days))
    review = {row["figure"]: row for row in figures["review"]}
    assert figures["as_of"] == days[-1]["Service"]
    assert Decimal(review["month to date"]["spend_usd"]) == month_to_date
    assert Decimal(review["month to date"]["budget_usd"]) == _cents(Decimal(100) * len(days) / 30)
    run_rate = _cents(month_to_date * 30 / len(days))
    assert Decimal(review["forecast: run rate"]["spend_usd"]) == run_rate
    labels = {name: row["variance"] for name, row in review.items()}
    assert labels == {
        "month to date": "favourable",
        "forecast: run rate": "favourable",
        "forecast: Cost Explorer": "unfavourable",
    }
    for row in review.values():
        variance = Decimal(row["budget_usd"]) - Decimal(row["spend_usd"])
        assert Decimal(row["variance_usd"]) == variance


def test_budget_review_measured_month(sample_report) -> None:
    measured = sample_report.figures["budget_review"]["measured"]
    total = load_scenario(sample_report.run_dir, free_tier="always-free").bill(1000).total
    assert Decimal(measured["spend_usd"]) == total
    assert measured["variance"] == ("favourable" if total <= 100 else "unfavourable")
