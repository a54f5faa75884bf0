"""Monte Carlo over the uncertain inputs: the pipeline's monthly bill, vectorised with numpy.

The model is the Decimal engine's bill re-expressed on arrays: the same per-onboarding shape
and monthly quantities (costmodel.scenario, plain arithmetic), the same metering, the same
catalog tiers and free-tier allowances taken in the same resource order, each line rounded
to cents. On point inputs it agrees with the engine to within a cent or two (floats).

``BillModel.totals`` is the vectorised model; ``BillModel.totals_loop`` runs the very same
model one scenario at a time in plain Python (reference, and the benchmark's baseline).

Example::

    model = BillModel(load_scenario())
    totals = model.simulate(users=50_000, simulations=1_000_000, seed=7)
    numpy.percentile(totals, [10, 50, 90])
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from costmodel.catalog import Catalog, Price, load_catalog
from costmodel.components import steps
from costmodel.components.api_gateway import HTTP_API_STEP_KB
from costmodel.components.lambda_ import FREE_EPHEMERAL_MB, MB_PER_GB, MS_PER_S
from costmodel.components.monitoring import METRICS_PER_ANOMALY_ALARM
from costmodel.free_tier import Allowance, allowances
from costmodel.scenario import Inputs, Scenario, adjusted, monthly_quantities, static_fields

DAYS_PER_BILLED_MONTH = 30
"""Budgets are billed per day; the usage documents use a 30-day month."""

CATALOG_ITEM = {
    "storage_gb": "storage",
    "pitr_gb": "pitr",
    "log_ingest_gb": "log_ingest",
    "log_storage_gb": "log_storage",
}
"""Usage keys whose catalog item has another name (the rest are named alike)."""


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: a triangular distribution over [low, high] with its mode.

    ``mode`` None means the scenario's own value (the measured invalid share).
    """

    name: str
    label: str
    low: float
    mode: float | None
    high: float
    why: str

    def base(self, scenario: Scenario) -> float:
        """The input's value in the scenario as measured (or defaulted)."""
        if self.mode is not None:
            return self.mode
        return min(max(float(scenario.per.invalid_share), self.low), self.high)


UNCERTAIN_INPUTS: tuple[UncertainInput, ...] = (
    UncertainInput(
        "duration_factor",
        "Lambda durations (x measured)",
        0.7,
        1.0,
        2.0,
        "warm runs can be faster; cold starts, slow lookups and SES/IAM latency double it",
    ),
    UncertainInput(
        "log_factor",
        "log bytes (x measured)",
        0.8,
        1.0,
        2.5,
        "DEBUG logging or larger events multiply log volume; quieter levels trim it",
    ),
    UncertainInput(
        "invalid_share",
        "invalid-registration share",
        0.02,
        None,
        0.30,
        "bots and typos: each rejected request still costs an API call and an invocation",
    ),
    UncertainInput(
        "retry_rate",
        "stream retries (per invocation)",
        0.0,
        0.0,
        0.20,
        "throttling or a failing dependency makes Lambda re-deliver stream batches",
    ),
)


@dataclass(frozen=True)
class _Ops:
    """The three non-arithmetic operations, for numpy arrays or Python floats."""

    minimum: Callable[[Any, Any], Any]
    maximum: Callable[[Any, Any], Any]
    floor: Callable[[Any], Any]


NUMPY_OPS = _Ops(np.minimum, np.maximum, np.floor)
PYTHON_OPS = _Ops(min, max, math.floor)


def sample_inputs(scenario: Scenario, simulations: int, seed: int | None = None) -> Inputs:
    """Draw ``simulations`` values of the uncertain inputs of the shape.

    A measured scenario with its run's invocations: the bootstrap of that run (billed ms per
    function, records per batch, failure and invalid shares: costmodel.bootstrap), nothing
    invented. The documented defaults have no run behind them: the stated triangular ranges
    of UNCERTAIN_INPUTS.
    """
    rng = np.random.default_rng(seed)
    evidence = scenario.evidence
    if evidence is None:
        return Inputs(
            **{
                spec.name: rng.triangular(spec.low, spec.base(scenario), spec.high, simulations)
                for spec in UNCERTAIN_INPUTS
            }
        )
    return Inputs(
        duration_factor=np.ones(simulations),
        invalid_share=evidence.invalid_shares(simulations, rng),
        function_durations=evidence.duration_factors(simulations, rng),
        stream_batches=evidence.batch_factors(simulations, rng) or None,
        failure_share=evidence.failure_shares(simulations, rng),
    )


def shape_uncertainty(scenario: Scenario) -> str:
    """Where the band's shape uncertainty comes from, in one sentence for every output."""
    evidence = scenario.evidence
    if evidence is None:
        return (
            f"shape: {scenario.shape}, each uncertain input over its stated range "
            "(triangular; no invocations.csv to bootstrap)"
        )
    batches = "records per batch" if evidence.batch_sizes else "no records per batch in this run"
    return (
        f"shape: bootstrap of run {evidence.run_id} ({evidence.invocations:,} invocations, "
        f"{evidence.accepted:,} onboardings: billed ms per function, {batches}, failure "
        "and invalid shares); price changes out of scope"
    )


class BillModel:
    """The scenario's monthly bill as a function of users and the uncertain inputs."""

    def __init__(self, scenario: Scenario, catalog: Catalog | None = None) -> None:
        self.scenario = scenario
        self.catalog = catalog or load_catalog(scenario.region)
        self.allowances = allowances(scenario.free_tier)
        self.static = static_fields(scenario.per, scenario.stack)

    def totals(self, users: Any, inputs: Inputs, stored_onboardings: Any = None) -> np.ndarray:
        """Vectorised monthly totals (USD floats), one per element of the inputs' arrays."""
        total = self._total(users, inputs, stored_onboardings, NUMPY_OPS)
        return np.array(np.broadcast_to(total, np.shape(inputs.duration_factor)), dtype=float)

    def totals_loop(self, users: Any, inputs: Inputs, stored_onboardings: Any = None) -> list:
        """The same model, one scenario at a time in plain Python floats (the reference)."""
        count = len(inputs.duration_factor)
        users_at = np.broadcast_to(users, count).tolist()
        stored_at = np.broadcast_to(
            users if stored_onboardings is None else stored_onboardings, count
        ).tolist()
        columns = {
            f.name: _column(getattr(inputs, f.name), count)
            for f in fields(Inputs)
            if getattr(inputs, f.name) is not None
        }
        return [
            self._total(
                users_at[i],
                Inputs(**{name: _at(values, i) for name, values in columns.items()}),
                stored_at[i],
                PYTHON_OPS,
            )
            for i in range(count)
        ]

    def simulate(
        self, users: float, simulations: int, seed: int | None = None, stored: Any = None
    ) -> np.ndarray:
        """Monthly totals of ``simulations`` scenarios drawn from the uncertain inputs."""
        return self.totals(users, sample_inputs(self.scenario, simulations, seed), stored)

    def _total(self, users: Any, inputs: Inputs, stored: Any, ops: _Ops) -> Any:
        per = adjusted(self.scenario.per, inputs)
        quantities = monthly_quantities(users, per, self.scenario.stack, stored)
        account = _Account(self.allowances, ops)
        total: Any = 0.0
        for (service, name, key), value in quantities.items():
            for item, quantity, included_scale in self._meter(
                service, key, value, self.static.get((service, name), {})
            ):
                price = self.catalog.price(service, item)
                total = total + account.charge(price, quantity, included_scale)
        return total

    def _meter(
        self, service: str, key: str, value: Any, static: dict[str, Any]
    ) -> list[tuple[str, Any, float]]:
        """(catalog item, quantity, included scale) for one usage key, as the components meter."""
        if service == "lambda" and key == "billed_ms_total":
            seconds = value / float(MS_PER_S)
            extra_mb = max(0.0, float(static["ephemeral_storage_mb"] - FREE_EPHEMERAL_MB))
            return [
                (
                    f"duration_{static['architecture']}",
                    seconds * (static["memory_mb"] / float(MB_PER_GB)),
                    1.0,
                ),
                ("ephemeral_storage", seconds * (extra_mb / float(MB_PER_GB)), 1.0),
            ]
        if service == "http_api":
            return [
                ("requests", value * float(steps(static["request_size_kb"], HTTP_API_STEP_KB)), 1.0)
            ]
        if (service, key) == ("cloudwatch", "anomaly_alarms"):
            return [("alarm_metrics", value * float(METRICS_PER_ANOMALY_ALARM), 1.0)]
        if service == "ses":
            plan = "essentials_emails" if self.scenario.ses_plan == "essentials" else "recipients"
            return [(plan, value, 1.0)]
        if service == "budgets":
            days = DAYS_PER_BILLED_MONTH
            return [("action_enabled_budget_days", value * days, float(days))]
        return [(CATALOG_ITEM.get(key, key), value, 1.0)]


def _column(value: Any, count: int) -> Any:
    """An input as Python floats, ``count`` of them (a mapping: per key)."""
    if isinstance(value, Mapping):
        return {key: _column(v, count) for key, v in value.items()}
    return np.broadcast_to(value, count).tolist()


def _at(column: Any, index: int) -> Any:
    """One scenario's value of a column made by ``_column``."""
    if isinstance(column, Mapping):
        return {key: values[index] for key, values in column.items()}
    return column[index]


def _head(value: Any, count: int) -> Any:
    """The first ``count`` draws of an input (None and scalars as they are)."""
    if isinstance(value, Mapping):
        return {key: _head(v, count) for key, v in value.items()}
    return value[:count] if isinstance(value, np.ndarray) else value


class _Account:
    """The engine's account state on floats/arrays: free allowances, included, tier position."""

    def __init__(self, free: tuple[Allowance, ...], ops: _Ops) -> None:
        self.ops = ops
        self.free_left: dict[Allowance, Any] = {a: float(a.quantity) for a in free}
        self.included_used: dict[tuple[str, str], Any] = {}
        self.tier_used: dict[tuple[str, str], Any] = {}

    def charge(self, price: Price, quantity: Any, included_scale: float) -> Any:
        """USD for ``quantity`` of one item by one resource: free first, then tiers, in cents."""
        ops = self.ops
        key = (price.service, price.item)
        tiered = len(price.tiers) > 1  # only then does the account's running position matter
        for allowance, left in self.free_left.items():
            if allowance.service == price.service and price.item in allowance.items:
                taken = ops.minimum(left, quantity)
                self.free_left[allowance] = left - taken
                quantity = quantity - taken
                if tiered:
                    self._advance(key, taken)
                break
        if price.included:
            used = self.included_used.get(key, 0.0)
            included = ops.maximum(
                ops.minimum(float(price.included) * included_scale - used, quantity), 0.0
            )
            self.included_used[key] = used + included
            quantity = quantity - included
            if tiered:
                self._advance(key, included)
        if not tiered:
            return self._cents(quantity * float(price.tiers[0][1]))
        position = self.tier_used.get(key, 0.0)
        usd: Any = 0.0
        lower = 0.0
        for upto, unit_price in price.tiers:
            upper = position + quantity if upto is None else float(upto)
            part = ops.maximum(
                ops.minimum(position + quantity, upper) - ops.maximum(position, lower), 0.0
            )
            usd = usd + self._cents(part * float(unit_price))
            lower = upper if upto is not None else lower
        self._advance(key, quantity)
        return usd

    def _advance(self, key: tuple[str, str], quantity: Any) -> None:
        self.tier_used[key] = self.tier_used.get(key, 0.0) + quantity

    def _cents(self, usd: Any) -> Any:
        """Round half up to cents (the tiny epsilon undoes float error on exact half cents)."""
        return self.ops.floor(usd * 100 + 0.5 + 1e-9) / 100


@dataclass(frozen=True)
class SpeedUp:
    """Timings of the vectorised model against the plain-Python loop."""

    simulations: int
    vectorised_s: float
    loop_simulations: int
    loop_s: float

    @property
    def speedup(self) -> float:
        """How many times faster the vectorised model is, per scenario."""
        per_loop = self.loop_s / self.loop_simulations
        per_vector = self.vectorised_s / self.simulations
        return per_loop / per_vector


def benchmark(
    model: BillModel,
    users: float = 100_000,
    simulations: int = 1_000_000,
    loop_simulations: int = 20_000,
    seed: int = 0,
) -> SpeedUp:
    """Time ``simulations`` vectorised scenarios and ``loop_simulations`` looped ones."""
    inputs = sample_inputs(model.scenario, simulations, seed)
    start = time.perf_counter()
    model.totals(users, inputs)
    vectorised = time.perf_counter() - start
    subset = Inputs(
        **{f.name: _head(getattr(inputs, f.name), loop_simulations) for f in fields(Inputs)}
    )
    start = time.perf_counter()
    model.totals_loop(users, subset)
    loop = time.perf_counter() - start
    return SpeedUp(simulations, vectorised, loop_simulations, loop)
