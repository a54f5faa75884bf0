"""Matplotlib figures of the cost model, for notebooks and reports (no pyplot: Agg-safe).

Each function takes the data the analysis modules return and gives back a Figure; save it
with ``fig.savefig("x.png")`` or show it in a notebook. ``note`` is printed under the plot:
the shape priced and the free-tier profile (``Scenario.describe()``) and, for sample data,
the sample label, so a figure copied out of its page still says what it shows.

Example::

    fig = projection_band(project(24, 1000, 0.10))
    fig.savefig("projection.png")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from costmodel.forecast.projection import Projection
from costmodel.pricing.engine import Bill

BUDGET_STYLE = {"color": "crimson", "linestyle": "--", "linewidth": 1.5}
SMALL_AXIS_USD = 20
"""An axis spanning less than this many dollars shows cents."""
FAR_ABOVE = 5
"""A budget line more than this many times the band's top is named, not drawn."""
FIXED_STYLE = {"color": "black", "linestyle": ":", "linewidth": 1.2}
SAMPLE_MARK = "SAMPLE DATA"
OUTSIDE_RIGHT = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": "small"}
"""A legend beside the axes, clear of every line and bar."""


def stamp(fig: Figure, note: str) -> Figure:
    """Print ``note`` under the figure (red and bold when it labels sample data)."""
    if note:
        sample = SAMPLE_MARK in note
        fig.text(
            0.01,
            -0.01,
            note,
            fontsize=8,
            va="top",
            color="#b00020" if sample else "#444444",
            fontweight="bold" if sample else "normal",
            wrap=True,
        )
    return fig


def usd_axis(ax: Any, axis: str = "y") -> None:
    """Dollar tick labels on one axis: $1,234 for dollars, $0.25 when the axis spans cents."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def label(value: float, _: int) -> str:
        low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
        return f"${value:,.2f}" if abs(high - low) < SMALL_AXIS_USD else f"${value:,.0f}"

    target.set_major_formatter(FuncFormatter(label))


def count_axis(ax: Any) -> None:
    """Whole-number tick labels with thousands separators on the x axis (1,000,000)."""
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def cost_by_service(
    bills: Mapping[str, Bill], fixed: Decimal | None = None, note: str = ""
) -> Figure:
    """Stacked bars: one bar per labelled bill (e.g. per volume), one colour per service.

    ``fixed`` (the zero-onboarding bill) is drawn as a line: below it is paid with no
    onboarding at all, above it grows with onboardings.
    """
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    labels = list(bills)
    services = list(dict.fromkeys(s for bill in bills.values() for s in bill.by_service()))
    bottoms = [0.0] * len(labels)
    for service in services:
        values = [float(bill.by_service().get(service, Decimal(0))) for bill in bills.values()]
        ax.bar(labels, values, bottom=bottoms, label=service)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    if fixed is not None:
        ax.axhline(float(fixed), label=f"fixed part ${fixed} (no onboardings)", **FIXED_STYLE)
    ax.set_xlabel("onboardings a month")
    ax.set_ylabel("USD a month")
    usd_axis(ax)
    ax.set_title("Monthly cost by service (fixed + variable)")
    ax.legend(**OUTSIDE_RIGHT)
    return stamp(fig, note)


def breakeven_curve(
    users: Sequence[int],
    totals: Sequence[Decimal | float],
    budget: Decimal | float,
    breakeven_users: int | None = None,
    fixed: Decimal | None = None,
    note: str = "",
) -> Figure:
    """The monthly bill against volume (linear axes), the budget line, the break-even point.

    ``fixed`` draws the zero-onboarding bill: the gap above it is the variable part.
    """
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.plot(users, [float(t) for t in totals], marker=".", label="monthly bill")
    ax.axhline(float(budget), label=f"budget ${budget}", **BUDGET_STYLE)
    if fixed is not None:
        ax.axhline(float(fixed), label=f"fixed part ${fixed}", **FIXED_STYLE)
    if breakeven_users is not None:
        ax.axvline(
            breakeven_users,
            color="grey",
            linestyle="-.",
            label=f"break-even {breakeven_users:,} a month",
        )
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("onboardings a month")
    ax.set_ylabel("USD a month")
    count_axis(ax)
    usd_axis(ax)
    ax.set_title("Where the budget breaks")
    ax.legend(**OUTSIDE_RIGHT)
    return stamp(fig, note)


def projection_band(projection: Projection, note: str = "") -> Figure:
    """Median monthly bill with its P10-P90 band and the budget line."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    months = [row["month"] for row in projection.rows]

    def column(name: str) -> list[float]:
        return [float(row[name]) for row in projection.rows]

    ax.fill_between(months, column("p10"), column("p90"), alpha=0.3, label="P10-P90")
    ax.plot(months, column("p50"), label="P50")
    budget = float(projection.budget)
    if budget <= FAR_ABOVE * max(column("p90"), default=0.0):
        ax.axhline(budget, label=f"budget ${projection.budget}", **BUDGET_STYLE)
    else:  # a line far above would flatten the band to nothing: say where it is instead
        ax.plot([], [], label=f"budget ${projection.budget} (far above)", **BUDGET_STYLE)
        ax.set_ylim(bottom=0)
    ax.set_xlabel("month")
    ax.set_ylabel("USD a month")
    usd_axis(ax)
    ax.set_title(f"Projection ({projection.simulations:,} simulations a month)")
    ax.legend(**OUTSIDE_RIGHT)
    return stamp(fig, "\n".join(text for text in (note, projection.uncertainty) if text))


def tornado(rows: Sequence[Mapping[str, Any]], note: str = "") -> Figure:
    """Horizontal bars from each input's low-end bill to its high-end bill, widest on top.

    An input that does not move the bill is written out ("no effect"), not left blank.
    """
    fig = Figure(figsize=(8, 1 + 0.6 * max(len(rows), 1)))
    ax = fig.add_subplot()
    ordered = list(reversed(rows))
    for index, row in enumerate(ordered):
        low, high = float(row["bill_low"]), float(row["bill_high"])
        ax.barh(index, abs(high - low), left=min(low, high), color="steelblue")
        if low == high:
            ax.text(low, index, "  no effect at this volume", va="center", fontsize=8)
    if rows:
        base = float(rows[0]["bill_base"])
        ax.axvline(base, color="black", linewidth=1, label=f"base ${rows[0]['bill_base']}")
        ax.legend(**OUTSIDE_RIGHT)
    ax.set_yticks(range(len(ordered)), [str(row["input"]) for row in ordered])
    ax.set_xlabel("monthly bill, USD (input at its low end to its high end)")
    ax.set_title("Sensitivity of the monthly bill")
    fig.tight_layout()
    return stamp(fig, note)
