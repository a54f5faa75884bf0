"""Monthly projection: users growing month on month, a P10/P50/P90 band against the budget.

Each month prices ``users x (1 + g)^(month - 1)`` onboardings with the Monte Carlo model.
Two sources of uncertainty, both stated on every output:

- growth: each scenario draws its own monthly rate ``g`` from a normal distribution centred
  on ``growth`` with standard deviation ``growth_spread`` (percentage points; one rate per
  scenario for the whole projection, since a business grows faster or slower, not at random
  month to month);
- the per-onboarding shape: the bootstrap of the measured run, or the stated ranges of the
  documented defaults (costmodel.forecast.montecarlo.sample_inputs).

Storage (DynamoDB rows, S3) accumulates with every onboarding so far. The same draws are
reused every month (common random numbers), so the band moves with volume, not with
sampling noise. ``users`` is the central volume (the median scenario's), with its P10/P90.

Example::

    p = project(months=24, users=1000, growth=0.10)
    p.rows[-1]          # {"month": 24, "users": 8954, "p10": ..., "p50": ..., "p90": ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from costmodel.forecast.montecarlo import BillModel, sample_inputs, shape_uncertainty
from costmodel.forecast.scenario import Scenario, load_scenario

PERCENTILES = (10, 50, 90)
DEFAULT_SIMULATIONS = 10_000
DEFAULT_GROWTH_SPREAD = 0.025
"""Standard deviation of the monthly growth rate: 2.5 percentage points (10% a month is then
between 6.8% and 13.2% in four scenarios out of five)."""
LOWEST_GROWTH = -0.99
"""A drawn rate below this (a collapse within a month) is clipped to it."""


@dataclass(frozen=True)
class Projection:
    """One row per month: users, cumulative users, P10/P50/P90 of the bill, the budget."""

    rows: list[dict[str, Any]]
    budget: Decimal
    simulations: int
    growth: float = 0.0
    growth_spread: float = 0.0
    shape_uncertainty: str = ""

    @property
    def uncertainty(self) -> str:
        """Where the band comes from, in one line (growth, then the shape)."""
        growth = (
            f"growth {self.growth:.1%} a month, normal with sd {self.growth_spread * 100:.1f} "
            "pp (one rate per scenario)"
            if self.growth_spread
            else f"growth {self.growth:.1%} a month, fixed"
        )
        return f"{growth}; {self.shape_uncertainty}"

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
    growth_spread: float = DEFAULT_GROWTH_SPREAD,
) -> Projection:
    """Project the monthly bill with a Monte Carlo band (see the module docstring).

    ``scenario`` defaults to the template with the documented defaults; ``budget`` to the
    template's monthly budget; ``growth_spread`` 0 fixes the growth rate.
    """
    scenario = scenario or load_scenario()
    budget = scenario.stack.budget_usd if budget is None else budget
    model = BillModel(scenario)
    inputs = sample_inputs(scenario, simulations, seed)
    rates = growth_rates(growth, growth_spread, simulations, seed)
    rows = []
    stored = 0
    stored_drawn = np.zeros(simulations)
    for month, volume in enumerate(monthly_users(months, users, growth), start=1):
        drawn = np.rint(users * (1 + rates) ** (month - 1))
        stored += volume
        stored_drawn = stored_drawn + drawn
        totals = model.totals(drawn, inputs, stored_drawn)
        p10, p50, p90 = (_usd(v) for v in np.percentile(totals, PERCENTILES))
        low, high = (int(v) for v in np.percentile(drawn, (PERCENTILES[0], PERCENTILES[-1])))
        rows.append(
            {
                "month": month,
                "users": volume,
                "users_p10": low,
                "users_p90": high,
                "cumulative_users": stored,
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "budget": budget,
            }
        )
    return Projection(rows, budget, simulations, growth, growth_spread, shape_uncertainty(scenario))


def growth_rates(growth: float, spread: float, simulations: int, seed: int | None) -> np.ndarray:
    """One monthly growth rate per scenario: normal around ``growth``, sd ``spread``.

    Drawn from their own stream (seed + 1), so the shape's draws do not move with it.
    """
    if not spread:
        return np.full(simulations, float(growth))
    rng = np.random.default_rng(None if seed is None else seed + 1)
    return np.maximum(rng.normal(growth, spread, simulations), LOWEST_GROWTH)


def _usd(value: float) -> Decimal:
    """A simulated amount as Decimal cents (display only; bills stay exact elsewhere)."""
    return Decimal(f"{value:.2f}")
