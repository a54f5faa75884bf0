"""Matplotlib figures of the cost model, for notebooks and reports (no pyplot: Agg-safe).

Each function takes the data the analysis modules return and gives back a Figure; save it
with ``fig.savefig("x.png")`` or show it in a notebook.

Example::

    fig = projection_band(project(24, 1000, 0.10))
    fig.savefig("projection.png")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from matplotlib.figure import Figure

from costmodel.engine import Bill
from costmodel.projection import Projection

BUDGET_STYLE = {"color": "crimson", "linestyle": "--", "linewidth": 1.5}


def cost_by_service(bills: Mapping[str, Bill]) -> Figure:
    """Stacked bars: one bar per labelled bill (e.g. per volume), one colour per service."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    labels = list(bills)
    services = list(dict.fromkeys(s for bill in bills.values() for s in bill.by_service()))
    bottoms = [0.0] * len(labels)
    for service in services:
        values = [float(bill.by_service().get(service, Decimal(0))) for bill in bills.values()]
        ax.bar(labels, values, bottom=bottoms, label=service)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_ylabel("USD a month")
    ax.set_title("Monthly cost by service")
    ax.legend(fontsize="small")
    return fig


def breakeven_curve(
    users: Sequence[int],
    totals: Sequence[Decimal | float],
    budget: Decimal | float,
    breakeven_users: int | None = None,
) -> Figure:
    """The monthly bill against volume, with the budget line and the break-even point."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.plot(users, [float(t) for t in totals], marker=".", label="monthly bill")
    ax.axhline(float(budget), label=f"budget {budget} USD", **BUDGET_STYLE)
    if breakeven_users is not None:
        ax.axvline(breakeven_users, color="grey", linestyle=":", label=f"{breakeven_users:,}")
    ax.set_xscale("log")
    ax.set_xlabel("onboardings a month")
    ax.set_ylabel("USD a month")
    ax.set_title("Where the budget breaks")
    ax.legend(fontsize="small")
    return fig


def projection_band(projection: Projection) -> Figure:
    """Median monthly bill with its P10-P90 band and the budget line."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    months = [row["month"] for row in projection.rows]

    def column(name: str) -> list[float]:
        return [float(row[name]) for row in projection.rows]

    ax.fill_between(months, column("p10"), column("p90"), alpha=0.3, label="P10-P90")
    ax.plot(months, column("p50"), label="P50")
    ax.axhline(float(projection.budget), label=f"budget {projection.budget} USD", **BUDGET_STYLE)
    ax.set_xlabel("month")
    ax.set_ylabel("USD a month")
    ax.set_title(f"Projection ({projection.simulations:,} simulations a month)")
    ax.legend(fontsize="small")
    return fig


def tornado(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """Horizontal bars from each input's low-end bill to its high-end bill, widest on top."""
    fig = Figure(figsize=(8, 1 + 0.6 * max(len(rows), 1)))
    ax = fig.add_subplot()
    ordered = list(reversed(rows))
    for index, row in enumerate(ordered):
        low, high = float(row["bill_low"]), float(row["bill_high"])
        ax.barh(index, abs(high - low), left=min(low, high), color="steelblue")
    if rows:
        ax.axvline(float(rows[0]["bill_base"]), color="black", linewidth=1, label="base")
        ax.legend(fontsize="small")
    ax.set_yticks(range(len(ordered)), [str(row["input"]) for row in ordered])
    ax.set_xlabel("USD a month")
    ax.set_title("Sensitivity of the monthly bill")
    fig.tight_layout()
    return fig
