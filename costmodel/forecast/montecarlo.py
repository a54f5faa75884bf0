"""Monte Carlo over the uncertain inputs: the pipeline's monthly bill, vectorised with numpy.

There is one engine: the model builds the month's resources with the scenario's own code
(costmodel.forecast.scenario.scenario_resources) and prices them with the engine's own metering
(costmodel.pricing.engine.meter_account: the same components, catalog tiers and free-tier data),
run on numpy float arrays instead of Decimals. Each invoice line is rounded to cents, as
the exact bill's are; on the same inputs the two agree to the cent (tests/costmodel).

``BillModel.totals`` is the vectorised model; ``BillModel.totals_loop`` prices the very same
scenarios one at a time with the exact Decimal engine (the reference, and the benchmark's
baseline).

Example::

    model = BillModel(load_scenario())
    totals = model.simulate(users=50_000, simulations=1_000_000, seed=7)
    numpy.percentile(totals, [10, 90])
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from costmodel.forecast.scenario import Inputs, Scenario, adjusted, scenario_resources
from costmodel.pricing.arithmetic import ARRAYS
from costmodel.pricing.catalog import Catalog, load_catalog
from costmodel.pricing.engine import meter_account


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


def sample_inputs(scenario: Scenario, simulations: int, seed: int | None = None) -> Inputs:
    """Draw ``simulations`` values of the uncertain inputs of the shape.

    A measured scenario with its run's invocations: the bootstrap of that run (billed ms per
    function, records per batch, failure and invalid shares: costmodel.forecast.bootstrap), nothing
    invented. The documented defaults have no run behind them: the stated triangular ranges
    of UNCERTAIN_INPUTS.
    """
    rng = np.random.default_rng(seed)
    evidence = scenario.evidence
    if evidence is None:
        drawn: dict[str, Any] = {
            spec.name: rng.triangular(spec.low, spec.base(scenario), spec.high, simulations)
            for spec in UNCERTAIN_INPUTS
        }
        return Inputs(**drawn)
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
        self.per = scenario.per.in_number(float)

    def totals(self, users: Any, inputs: Inputs, stored_onboardings: Any = None) -> np.ndarray:
        """Vectorised monthly totals (USD floats), one per element of the inputs' arrays."""
        per = adjusted(self.per, inputs)
        stored = None if stored_onboardings is None else ARRAYS.number(stored_onboardings)
        usage = {
            "region": self.scenario.region,
            "free_tier": self.scenario.free_tier,
            "ses_plan": self.scenario.ses_plan,
            "resources": scenario_resources(
                ARRAYS.number(users), per, self.scenario.stack, ARRAYS, stored
            ),
        }
        total = meter_account(usage, self.catalog, ARRAYS).total(ARRAYS)
        return np.array(np.broadcast_to(total, np.shape(inputs.duration_factor)), dtype=float)

    def totals_loop(
        self, users: Any, inputs: Inputs, stored_onboardings: Any = None
    ) -> list[float]:
        """The same scenarios priced one at a time by the exact Decimal engine (the reference)."""
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
            float(
                self.scenario.bill(
                    users_at[i],
                    Inputs(**{name: _at(values, i) for name, values in columns.items()}),
                    stored_at[i],
                ).total
            )
            for i in range(count)
        ]

    def simulate(
        self, users: float, simulations: int, seed: int | None = None, stored: Any = None
    ) -> np.ndarray:
        """Monthly totals of ``simulations`` scenarios drawn from the uncertain inputs."""
        return self.totals(users, sample_inputs(self.scenario, simulations, seed), stored)


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


@dataclass(frozen=True)
class SpeedUp:
    """Timings of the vectorised model against the exact engine, one scenario at a time."""

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
