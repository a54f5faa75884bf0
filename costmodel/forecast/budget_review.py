"""Finance's budget review: month-to-date spend against the budget and the month-end forecast.

Reads a Cost Explorer export of daily cost by service, either the console's "Download CSV"
(header ``Service, <service>($)..., Total costs($)``, a ``Service total`` row, then one row
per day) or the JSON of ``aws ce get-cost-and-usage --granularity DAILY``
(``ResultsByTime``), optionally with the JSON of ``aws ce get-cost-forecast`` for the rest
of the month. Forecasts to month end: the linear run rate, and Cost Explorer's own if given.
Every amount is a Decimal rounded to cents; a variance is favourable when spend is within
the budget.

Example::

    costs = read_cost_explorer("samples/cost-explorer/daily-costs-by-service.csv")
    review = review_month(costs, budget=Decimal(100))
    review.rows()       # MTD vs pro-rated budget, forecasts vs budget, each labelled
"""

from __future__ import annotations

import calendar
import csv
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from costmodel.pricing.engine import Bill, to_cents
from kernel.errors import UsageError

CSV_TOTAL_COLUMN = "Total costs($)"
CSV_TOTAL_ROW = "Service total"
CSV_SUFFIX = "($)"
METRICS = ("UnblendedCost", "NetUnblendedCost", "AmortizedCost", "BlendedCost")
"""Cost Explorer metrics in order of preference (what the console shows by default first)."""
FAVOURABLE = "favourable"
UNFAVOURABLE = "unfavourable"


@dataclass(frozen=True)
class DailyCosts:
    """Daily spend by service, as exported from Cost Explorer."""

    days: dict[date, dict[str, Decimal]]
    source: str

    def daily_totals(self) -> dict[date, Decimal]:
        """Each day's total (the sum of its services), in date order."""
        return {
            day: sum(services.values(), Decimal(0)) for day, services in sorted(self.days.items())
        }

    def in_month(self, month: date) -> dict[date, Decimal]:
        """The daily totals of ``month`` (any day of it), in date order."""
        return {
            day: usd
            for day, usd in self.daily_totals().items()
            if (day.year, day.month) == (month.year, month.month)
        }

    def by_service(self) -> dict[str, Decimal]:
        """Each service's total over the export, to the cent, largest first."""
        totals: dict[str, Decimal] = {}
        for services in self.days.values():
            for service, usd in services.items():
                totals[service] = totals.get(service, Decimal(0)) + usd
        cents = {service: to_cents(usd) for service, usd in totals.items()}
        return dict(sorted(cents.items(), key=lambda item: item[1], reverse=True))


@dataclass(frozen=True)
class CostForecast:
    """Cost Explorer's forecast for the rest of the month (mean and 80% interval)."""

    mean: Decimal
    lower: Decimal | None
    upper: Decimal | None


def _amount(text: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(text).strip() or "0")
    except InvalidOperation:
        raise UsageError(f"{where}: {text!r} is not an amount") from None
    if not value.is_finite():
        raise UsageError(f"{where}: {text!r} is not an amount")
    return value


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read Cost Explorer export {path}: {exc.strerror}") from None


def _from_csv(path: Path) -> DailyCosts:
    rows = list(csv.reader(_read_text(path).splitlines()))
    if not rows or not rows[0] or rows[0][0].strip() != "Service":
        raise UsageError(f"{path}: not a Cost Explorer CSV (first header cell must be 'Service')")
    header = [cell.strip() for cell in rows[0]]
    services = {
        index: name.removesuffix(CSV_SUFFIX)
        for index, name in enumerate(header)
        if index and name.endswith(CSV_SUFFIX) and name != CSV_TOTAL_COLUMN
    }
    if not services:
        raise UsageError(f"{path}: no '<service>($)' column in the header")
    days: dict[date, dict[str, Decimal]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row or row[0].strip() == CSV_TOTAL_ROW:
            continue
        where = f"{path} line {number}"
        day = _day(row[0], where)
        days[day] = {
            name: _amount(row[index] if index < len(row) else "", where)
            for index, name in services.items()
        }
    return DailyCosts(days, str(path))


def _metric(metrics: dict[str, Any], where: str) -> Decimal:
    for name in METRICS:
        if name in metrics:
            return _amount(metrics[name].get("Amount"), f"{where} {name}")
    raise UsageError(f"{where}: none of the metrics {', '.join(METRICS)}")


def _from_json(path: Path, data: Any) -> DailyCosts:
    if not isinstance(data, dict) or not isinstance(data.get("ResultsByTime"), list):
        raise UsageError(f"{path}: not a get-cost-and-usage result (no 'ResultsByTime' list)")
    days: dict[date, dict[str, Decimal]] = {}
    for index, result in enumerate(data["ResultsByTime"]):
        where = f"{path} ResultsByTime[{index}]"
        try:
            day = _day(result["TimePeriod"]["Start"], where)
        except (KeyError, TypeError):
            raise UsageError(f"{where}: no TimePeriod.Start") from None
        groups = result.get("Groups") or []
        if groups:
            days[day] = {
                " / ".join(group["Keys"]): _metric(group["Metrics"], where) for group in groups
            }
        else:
            days[day] = {"Total": _metric(result.get("Total") or {}, where)}
    return DailyCosts(days, str(path))


def read_cost_explorer(path: Path | str) -> DailyCosts:
    """Read a Cost Explorer export: the console's CSV or get-cost-and-usage JSON (by suffix)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(_read_text(path))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}: not valid JSON ({exc})") from None
        return _from_json(path, data)
    raise UsageError(f"{path}: expected a .csv or .json Cost Explorer export")


def read_cost_forecast(path: Path | str) -> CostForecast:
    """Read the JSON of ``aws ce get-cost-forecast`` (its Total and the interval bounds)."""
    path = Path(path)
    try:
        data = json.loads(_read_text(path))
        total = data["Total"]["Amount"]
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    except (KeyError, TypeError):
        raise UsageError(f"{path}: not a get-cost-forecast result (no Total.Amount)") from None
    periods = data.get("ForecastResultsByTime") or []

    def bound(key: str) -> Decimal | None:
        values = [p[key] for p in periods if key in p]
        if not values:
            return None
        return to_cents(sum((_amount(v, f"{path} {key}") for v in values), Decimal(0)))

    return CostForecast(
        to_cents(_amount(total, f"{path} Total")),
        bound("PredictionIntervalLowerBound"),
        bound("PredictionIntervalUpperBound"),
    )


def label(spend: Decimal, budget: Decimal) -> str:
    """``favourable`` when spend is within the budget, else ``unfavourable``."""
    return FAVOURABLE if spend <= budget else UNFAVOURABLE


@dataclass(frozen=True)
class BudgetReview:
    """One month: spend to date, forecasts to month end, and their variances to budget."""

    month: date
    """The first day of the month reviewed."""
    as_of: date
    """The last day with spend in the export."""
    budget: Decimal
    month_to_date: Decimal
    cost_explorer_forecast: CostForecast | None = None

    @property
    def days_in_month(self) -> int:
        """Calendar days of the month."""
        return calendar.monthrange(self.month.year, self.month.month)[1]

    @property
    def days_elapsed(self) -> int:
        """Days of the month with spend so far (the first through ``as_of``)."""
        return self.as_of.day

    @property
    def budget_to_date(self) -> Decimal:
        """The budget pro-rated to the days elapsed."""
        return to_cents(self.budget * self.days_elapsed / self.days_in_month)

    @property
    def run_rate_forecast(self) -> Decimal:
        """Month-end spend if the average day so far continues (linear run rate)."""
        return to_cents(self.month_to_date * self.days_in_month / self.days_elapsed)

    @property
    def explorer_month_end(self) -> Decimal | None:
        """Spend to date plus Cost Explorer's forecast for the rest of the month."""
        forecast = self.cost_explorer_forecast
        return None if forecast is None else self.month_to_date + forecast.mean

    def rows(self) -> list[dict[str, Any]]:
        """Each figure against its budget: ``variance_usd`` = budget - spend, and its label."""
        figures = [
            ("month to date", self.month_to_date, self.budget_to_date),
            ("forecast: run rate", self.run_rate_forecast, self.budget),
        ]
        if self.explorer_month_end is not None:
            figures.append(("forecast: Cost Explorer", self.explorer_month_end, self.budget))
        return [
            {
                "figure": name,
                "spend_usd": spend,
                "budget_usd": budget,
                "variance_usd": budget - spend,
                "variance": label(spend, budget),
            }
            for name, spend, budget in figures
        ]


def review_month(
    costs: DailyCosts,
    budget: Decimal,
    forecast: CostForecast | None = None,
    month: date | None = None,
) -> BudgetReview:
    """Review ``month`` (default: the export's latest) of a Cost Explorer export."""
    totals = costs.daily_totals()
    if not totals:
        raise UsageError(f"{costs.source}: the export has no day")
    month = (month or max(totals)).replace(day=1)
    in_month = costs.in_month(month)
    if not in_month:
        raise UsageError(f"{costs.source}: no spend in {month:%Y-%m}")
    spend = to_cents(sum(in_month.values(), Decimal(0)))
    return BudgetReview(month, max(in_month), to_cents(budget), spend, forecast)


def measured_review(bill: Bill, budget: Decimal) -> list[dict[str, Any]]:
    """A modelled month (a bill from the measured run) by service against the budget."""
    budget = to_cents(budget)
    rows: list[dict[str, Any]] = [
        {"figure": service, "spend_usd": usd} for service, usd in bill.by_service().items()
    ]
    rows.append(
        {
            "figure": "TOTAL",
            "spend_usd": bill.total,
            "budget_usd": budget,
            "variance_usd": budget - bill.total,
            "variance": label(bill.total, budget),
        }
    )
    return rows
