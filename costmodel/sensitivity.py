"""Sensitivity (tornado data): each uncertain input moved over its range, the others at base.

Bills are exact (the Decimal engine), so a swing of a few cents is real, not noise.

Example::

    rows = sensitivity(users=100_000)
    rows[0]     # the widest swing: {"input": ..., "low": ..., "bill_low": ..., "swing": ...}
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from costmodel.montecarlo import UNCERTAIN_INPUTS
from costmodel.scenario import Inputs, Scenario, load_scenario


def sensitivity(users: int, scenario: Scenario | None = None) -> list[dict[str, Any]]:
    """Tornado rows, widest swing first: the bill with each input at its low and high end."""
    scenario = scenario or load_scenario()
    base_inputs = Inputs(**{spec.name: spec.base(scenario) for spec in UNCERTAIN_INPUTS})
    base = scenario.bill(users, base_inputs).total
    rows = []
    for spec in UNCERTAIN_INPUTS:
        low = scenario.bill(users, replace(base_inputs, **{spec.name: spec.low})).total
        high = scenario.bill(users, replace(base_inputs, **{spec.name: spec.high})).total
        rows.append(
            {
                "input": spec.label,
                "low": _value(spec.low),
                "base": _value(spec.base(scenario)),
                "high": _value(spec.high),
                "bill_low": low,
                "bill_base": base,
                "bill_high": high,
                "swing": abs(high - low),
                "why": spec.why,
            }
        )
    return sorted(rows, key=lambda row: row["swing"], reverse=True)


def _value(number: float) -> Decimal:
    """An input value for display (4 significant decimals)."""
    return Decimal(f"{number:.4f}").normalize()
