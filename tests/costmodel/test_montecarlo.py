"""The vectorised model is the Decimal engine on arrays: they agree to the cent, always."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scenario_fixtures import fixture_scenario

from costmodel.forecast.montecarlo import UNCERTAIN_INPUTS, BillModel, benchmark, sample_inputs
from costmodel.forecast.scenario import STREAM_FUNCTIONS, Inputs, load_scenario
from onramp.reports.notebooks import SAMPLE_RUN

POINTS = [
    Inputs(),
    Inputs(duration_factor=1.7, log_factor=2.2, invalid_share=0.25, retry_rate=0.15),
    Inputs(duration_factor=0.7, log_factor=0.8, invalid_share=0.02, retry_rate=0.0),
]


def _one(inputs: Inputs) -> Inputs:
    return Inputs(*(None if v is None else np.array([v]) for v in vars(inputs).values()))


def cents(totals: Any) -> np.ndarray:
    return np.round(np.asarray(totals, dtype=float) * 100).astype(np.int64)


@pytest.mark.parametrize("free_tier", ["none", "always-free", "legacy-12-month"])
@pytest.mark.parametrize("users", [0, 1000, 777_777, 5_000_000, 400_000_000])
def test_agrees_with_the_decimal_engine_on_point_inputs(free_tier: str, users: int) -> None:
    scenario = fixture_scenario(free_tier)
    model = BillModel(scenario)
    for inputs in POINTS:
        exact = scenario.bill(users, inputs).total
        assert cents(model.totals(users, _one(inputs)))[0] == int(exact * 100)


@pytest.mark.parametrize(
    ("free_tier", "region", "ses_plan", "most_users"),
    [
        ("none", "us-east-1", "a-la-carte", 3e8),
        ("always-free", "us-east-1", "essentials", 8e6),  # the plan has no price past 10M
        ("legacy-12-month", "eu-west-1", "a-la-carte", 3e8),
    ],
)
def test_agrees_to_the_cent_on_1000_random_scenarios(
    free_tier: str, region: str, ses_plan: str, most_users: float
) -> None:
    """1,000 scenarios drawn at random (users from 1 to ``most_users``, storage from none to
    two years of onboardings, every uncertain input): the vectorised total of each equals, to
    the cent, the exact Decimal engine's bill of the same scenario. One engine, two number
    types."""
    scenario = load_scenario(free_tier=free_tier, region=region, ses_plan=ses_plan)
    model = BillModel(scenario)
    rng = np.random.default_rng(20)
    users = np.floor(10 ** rng.uniform(0, np.log10(most_users), 1000))
    stored = np.floor(users * rng.uniform(0, 24, 1000))
    inputs = sample_inputs(scenario, 1000, seed=21)
    vectorised = model.totals(users, inputs, stored)
    exact = model.totals_loop(users, inputs, stored)
    assert np.array_equal(cents(vectorised), cents(exact))
    assert len(set(cents(exact))) > 400  # the draws really vary the bill


@pytest.mark.parametrize("free_tier", ["none", "always-free"])
def test_agrees_to_the_cent_on_1000_bootstrapped_scenarios(free_tier: str) -> None:
    """The measured shape's bootstrap (per-function durations, failure and invalid shares),
    plus records per batch, retries and log volume drawn at random: each of 1,000 vectorised
    totals equals the exact Decimal engine's bill of the same scenario, to the cent."""
    scenario = load_scenario(SAMPLE_RUN, free_tier=free_tier)
    model = BillModel(scenario)
    rng = np.random.default_rng(22)
    users = np.floor(10 ** rng.uniform(0, np.log10(3e8), 1000))
    stored = np.floor(users * rng.uniform(0, 24, 1000))
    boot = sample_inputs(scenario, 1000, seed=23)
    assert boot.function_durations and boot.failure_share is not None
    inputs = Inputs(
        duration_factor=boot.duration_factor,
        log_factor=rng.uniform(0.8, 2.5, 1000),
        invalid_share=boot.invalid_share,
        retry_rate=rng.uniform(0, 0.2, 1000),
        function_durations=boot.function_durations,
        stream_batches={key: rng.uniform(0.5, 3, 1000) for key in STREAM_FUNCTIONS},
        failure_share=boot.failure_share,
    )
    vectorised = model.totals(users, inputs, stored)
    exact = model.totals_loop(users, inputs, stored)
    assert np.array_equal(cents(vectorised), cents(exact))
    assert len(set(cents(exact))) > 400


def test_samples_stay_in_their_ranges() -> None:
    scenario = fixture_scenario()
    inputs = sample_inputs(scenario, 10_000, seed=1)
    for spec in UNCERTAIN_INPUTS:
        values = getattr(inputs, spec.name)
        assert spec.low <= values.min() and values.max() <= spec.high
        assert values.std() > 0 or spec.low == spec.high


def test_simulation_band_brackets_the_cost_of_more_work() -> None:
    scenario = fixture_scenario("none")
    model = BillModel(scenario)
    totals = model.simulate(users=2_000_000, simulations=200_000, seed=11)
    p10, p90 = np.percentile(totals, [10, 90])
    assert p10 < p90
    lowest = scenario.bill(2_000_000, Inputs(0.7, 0.8, 0.02, 0.0)).total
    highest = scenario.bill(2_000_000, Inputs(2.0, 2.5, 0.30, 0.2)).total
    assert float(lowest) - 0.02 <= totals.min() and totals.max() <= float(highest) + 0.02


def test_benchmark_reports_both_timings() -> None:
    result = benchmark(BillModel(fixture_scenario()), simulations=20_000, loop_simulations=200)
    assert result.vectorised_s > 0 and result.loop_s > 0 and result.speedup > 1
