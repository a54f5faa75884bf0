"""Matplotlib figure of a budget review, for the finance notebook (no pyplot: Agg-safe).

Example::

    fig = month_to_date(costs, review)
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import accumulate

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from costmodel.forecast.budget_review import BudgetReview, DailyCosts
from onramp.reports.cost_plots import BUDGET_STYLE, OUTSIDE_RIGHT, stamp, usd_axis


def month_to_date(costs: DailyCosts, review: BudgetReview, note: str = "") -> Figure:
    """Cumulative spend this month, the forecasts to month end and the budget line."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    days = costs.in_month(review.month)
    ax.plot(
        list(days),
        list(accumulate(float(usd) for usd in days.values())),
        marker=".",
        label="spend to date",
    )
    month_end = review.month + timedelta(days=review.days_in_month - 1)
    ax.plot(
        [review.as_of, month_end],
        [float(review.month_to_date), float(review.run_rate_forecast)],
        linestyle="--",
        label=f"run rate: {review.run_rate_forecast} USD",
    )
    _explorer_forecast(ax, review, month_end)
    ax.axhline(float(review.budget), label=f"budget {review.budget} USD", **BUDGET_STYLE)
    ax.set_xlim(review.month, month_end + timedelta(days=1))
    ax.set_xlabel("day of the month")
    ax.set_ylabel("USD, cumulative")
    usd_axis(ax)
    ax.set_title(f"Spend in {review.month:%B %Y} against the budget")
    ax.legend(**OUTSIDE_RIGHT)
    fig.autofmt_xdate()
    return stamp(fig, note)


def _explorer_forecast(ax: Axes, review: BudgetReview, month_end: date) -> None:
    """Cost Explorer's month-end forecast with its interval, if the review has one."""
    forecast = review.cost_explorer_forecast
    if forecast is None or review.explorer_month_end is None:
        return
    mean = float(review.explorer_month_end)
    low = mean - float(forecast.mean - (forecast.lower or forecast.mean))
    high = mean + float((forecast.upper or forecast.mean) - forecast.mean)
    ax.errorbar(
        [month_end],
        [mean],
        yerr=[[mean - low], [high - mean]],
        fmt="s",
        capsize=4,
        label=f"Cost Explorer: {review.explorer_month_end} USD",
    )
