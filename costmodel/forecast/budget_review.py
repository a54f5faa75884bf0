"""Finance's budget review: month-to-date spend against the budget and the month-end forecast.

Reviews daily spend by service (``DailyCosts``, read from a Cost Explorer export by
onramp/staging/cost_explorer_export.py), optionally with Cost Explorer's forecast for the rest
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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from costmodel.pricing.engine import Bill, to_cents
from kernel.errors import UsageError

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
