"""Sensitivity (tornado data): each uncertain input moved over its range, the others at base.

The inputs and their ranges are the Monte Carlo's own (costmodel.forecast.montecarlo.sample_inputs):
for a measured run with its invocations, the P10 and P90 of its bootstrap (billed ms per
function, records per batch, failure and invalid shares); for the documented defaults, the
stated triangular ranges. ``volumes`` adds the volume itself (e.g. a projection month's
P10/P90 onboardings from the growth spread). Bills are exact (the Decimal engine), so a
swing of a few cents is real, not noise; an input with no effect at the volume (the free
tier covers it, or it moves the bill by less than a cent) says so in ``effect``.

Example::

    rows = sensitivity(users=100_000)
    rows[0]     # the widest swing: {"input": ..., "low": ..., "bill_low": ..., "swing": ...}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np

from costmodel.forecast.montecarlo import UNCERTAIN_INPUTS, sample_inputs
from costmodel.forecast.scenario import Inputs, Scenario, load_scenario

BOOTSTRAP_DRAWS = 4000
QUANTILES = (10, 90)
STATED_RANGE = "stated range"
BOOTSTRAP_RANGE = "bootstrap P10-P90"


@dataclass(frozen=True)
class Spread:
    """One input of the tornado: the inputs at its low and high end, the rest at base."""

    label: str
    low: float
    base: float
    high: float
    low_inputs: Inputs
    high_inputs: Inputs
    range: str
    why: str


def spreads(scenario: Scenario, base: Inputs) -> list[Spread]:
    """The scenario's uncertain inputs with their ranges (see the module docstring)."""
    evidence = scenario.evidence
    if evidence is None:
        return [
            Spread(
                spec.label,
                spec.low,
                spec.base(scenario),
                spec.high,
                _with(base, spec.name, spec.low),
                _with(base, spec.name, spec.high),
                STATED_RANGE,
                spec.why,
            )
            for spec in UNCERTAIN_INPUTS
        ]
    draws = sample_inputs(scenario, BOOTSTRAP_DRAWS, seed=0)
    rows = []
    for key, factors in (draws.function_durations or {}).items():
        why = (
            f"another run of the same load: {len(evidence.billed_ms[key]):,} invocations resampled"
        )
        rows.append(
            _bootstrap_spread(
                base, "function_durations", key, factors, "billed ms (x measured)", why
            )
        )
    for key, factors in (draws.stream_batches or {}).items():
        why = "fuller or emptier stream batches: fewer or more invocations for the records"
        label = "invocations (x measured, records per batch)"
        rows.append(_bootstrap_spread(base, "stream_batches", key, factors, label, why))
    measured = {
        "failure_share": ("failure share (of accepted onboardings)", scenario.per.failure_share),
        "invalid_share": ("invalid-registration share", float(scenario.per.invalid_share)),
    }
    for name, (label, value) in measured.items():
        low, high = np.percentile(getattr(draws, name), QUANTILES)
        rows.append(
            Spread(
                label,
                low,
                value,
                high,
                replace(base, **{name: low}),
                replace(base, **{name: high}),
                BOOTSTRAP_RANGE,
                f"binomial resampling of the run's {evidence.accepted:,} onboardings",
            )
        )
    return rows


def sensitivity(
    users: int,
    scenario: Scenario | None = None,
    volumes: tuple[int, int] | None = None,
    volume_why: str = "",
) -> list[dict[str, Any]]:
    """Tornado rows, widest swing first: the bill with each input at its low and high end."""
    scenario = scenario or load_scenario()
    base_inputs = Inputs(**_at_base(scenario)) if scenario.evidence is None else Inputs()
    base = scenario.bill(users, base_inputs).total
    rows = []
    for spread in spreads(scenario, base_inputs):
        low = scenario.bill(users, spread.low_inputs).total
        high = scenario.bill(users, spread.high_inputs).total
        rows.append(
            _row(users, spread.label, (spread.low, spread.base, spread.high), (low, base, high))
            | {"range": spread.range, "why": spread.why}
        )
    if volumes is not None:
        low_users, high_users = volumes
        bills = (scenario.bill(low_users).total, base, scenario.bill(high_users).total)
        rows.append(
            _row(users, "onboardings a month", (low_users, users, high_users), bills)
            | {"range": "growth P10-P90", "why": volume_why}
        )
    return sorted(rows, key=lambda row: row["swing"], reverse=True)


def _row(
    users: int, label: str, values: tuple[float, float, float], bills: tuple[Decimal, ...]
) -> dict[str, Any]:
    low, base, high = bills
    swing = abs(high - low)
    return {
        "input": label,
        "low": _value(values[0]),
        "base": _value(values[1]),
        "high": _value(values[2]),
        "bill_low": low,
        "bill_base": base,
        "bill_high": high,
        "swing": swing,
        "effect": "" if swing else f"no effect at {users:,} a month (free tier or under a cent)",
    }


def widest(rows: list[dict[str, Any]]) -> str | None:
    """The input with the widest swing, or None when no input moves the bill."""
    return rows[0]["input"] if rows and rows[0]["swing"] else None


def _value(number: float) -> Decimal:
    """An input value for display (at most 4 decimals, no exponent: 1000, not 1E+3)."""
    return Decimal(format(Decimal(f"{float(number):.4f}").normalize(), "f"))


def _with(base: Inputs, name: str, value: Any) -> Inputs:
    """``base`` with the input ``name`` set to ``value``."""
    changes: dict[str, Any] = {name: value}
    return replace(base, **changes)


def _at_base(scenario: Scenario) -> dict[str, Any]:
    """Every stated uncertain input at its base value for ``scenario``."""
    return {spec.name: spec.base(scenario) for spec in UNCERTAIN_INPUTS}


def _bootstrap_spread(
    base: Inputs, field: str, key: str, factors: Any, what: str, why: str
) -> Spread:
    """The spread of one function's bootstrapped factor (``field`` of Inputs) between the
    quantiles, the measured shape (1.0) in the middle."""
    low, high = np.percentile(factors, QUANTILES)
    return Spread(
        f"{key} {what}",
        low,
        1.0,
        high,
        _with(base, field, {key: low}),
        _with(base, field, {key: high}),
        BOOTSTRAP_RANGE,
        why,
    )
