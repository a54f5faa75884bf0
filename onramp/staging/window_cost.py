"""The model's price for what one measured window used: the figure to set against the bill.

The cost model prices a month. For a window we take the variable part of the month's bill
for the window's onboardings (bill(N) - bill(0)), add the fixed monthly part (alarms,
metrics) pro rata to the window's length, and leave storage out: it accrues per GB-month,
so a test window's share of it is below a cent. Priced without free tier by default: a
staging account's allowances are usually spent elsewhere, and Cost Explorer shows the cost
after them.

Example::

    cost = window_cost(Path("runs/2026.../measurement.json"))
    cost.by_service["lambda"], cost.total
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.forecast.scenario import DAYS_PER_MONTH, load_scenario
from costmodel.measurement import exact, load_measurement
from costmodel.pricing.engine import price_usage, to_cents

STORAGE_KEYS = ("storage_gb", "pitr_gb", "log_storage_gb")
SECONDS_PER_MONTH = DAYS_PER_MONTH * 86400


@dataclass(frozen=True)
class WindowCost:
    """Modelled USD per cost-model service for one window, each rounded to cents."""

    by_service: dict[str, Decimal]
    window_seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """Sum of the per-service amounts."""
        return sum(self.by_service.values(), Decimal("0.00"))


def window_cost(measurement_path: Path, free_tier: str = "none") -> WindowCost:
    """Price the measurement's own window (see the module docstring for the rules)."""
    measurement = load_measurement(measurement_path)
    scenario = load_scenario(measurement_path, free_tier=free_tier)
    accepted = measurement.onboardings.accepted
    seconds = float(measurement.window.seconds)
    share = exact(measurement.window.seconds) / SECONDS_PER_MONTH
    with_traffic = price_usage(_without_storage(scenario.usage(accepted, stored_onboardings=0)))
    fixed = price_usage(_without_storage(scenario.usage(0, stored_onboardings=0))).by_service()
    by_service = {
        service: to_cents(amount - fixed.get(service, Decimal(0)) + fixed.get(service, 0) * share)
        for service, amount in with_traffic.by_service().items()
    }
    notes = [
        f"model: {accepted} onboardings, fixed monthly costs x {share:.6f} of a"
        f" {DAYS_PER_MONTH}-day month, storage left out, free tier {free_tier}"
    ]
    return WindowCost(by_service=by_service, window_seconds=seconds, notes=notes)


def _without_storage(usage: dict[str, Any]) -> dict[str, Any]:
    resources = [
        {key: (Decimal(0) if key in STORAGE_KEYS else value) for key, value in resource.items()}
        for resource in usage["resources"]
    ]
    return {**usage, "resources": resources}
