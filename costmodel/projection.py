"""Monthly projection: users growing month on month, a P10/P50/P90 band against the budget.

Each month prices ``users x (1 + growth)^(month - 1)`` onboardings with the Monte Carlo model
over the uncertain inputs; storage (DynamoDB rows, S3) accumulates with every onboarding so
far. The same draws are reused every month (common random numbers), so the band moves with
volume, not with sampling noise.

Example::

    p = project(months=24, users=1000, growth=0.10)
    p.rows[-1]          # {"month": 24, "users": 8954, "p10": ..., "p50": ..., "p90": ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from costmodel.montecarlo import BillModel, sample_inputs
from costmodel.scenario import Scenario, load_scenario

PERCENTILES = (10, 50, 90)
DEFAULT_SIMULATIONS = 10_000


@dataclass(frozen=True)
class Projection:
    """One row per month: users, cumulative users, P10/P50/P90 of the bill, the budget."""

    rows: list[dict[str, Any]]
    budget: Decimal
    simulations: int

    def first_month_over_budget(self, percentile: str = "p50") -> int | None:
        """The first month whose ``percentile`` bill exceeds the budget (None if never)."""
        return next((r["month"] for r in self.rows if r[percentile] > self.budget), None)


def monthly_users(months: int, users: float, growth: float) -> list[int]:
    """Onboardings in each month: ``users`` in month 1, growing by ``growth`` a month."""
    return [round(users * (1 + growth) ** month) for month in range(months)]


def project(
    months: int,
    users: float,
    growth: float,
    *,
    scenario: Scenario | None = None,
    budget: Decimal | None = None,
    simulations: int = DEFAULT_SIMULATIONS,
    seed: int | None = 0,
) -> Projection:
    """Project the monthly bill with a Monte Carlo band (see the module docstring).

    ``scenario`` defaults to the template with the documented defaults; ``budget`` to the
    template's monthly budget.
    """
    scenario = scenario or load_scenario()
    budget = scenario.stack.budget_usd if budget is None else budget
    model = BillModel(scenario)
    inputs = sample_inputs(scenario, simulations, seed)
    rows = []
    stored = 0
    for month, volume in enumerate(monthly_users(months, users, growth), start=1):
        stored += volume
        totals = model.totals(volume, inputs, stored)
        p10, p50, p90 = (_usd(v) for v in np.percentile(totals, PERCENTILES))
        rows.append(
            {
                "month": month,
                "users": volume,
                "cumulative_users": stored,
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "budget": budget,
            }
        )
    return Projection(rows, budget, simulations)


def _usd(value: float) -> Decimal:
    """A simulated amount as Decimal cents (display only; bills stay exact elsewhere)."""
    return Decimal(f"{value:.2f}")
