"""The vectorised model agrees with the Decimal engine and with its plain-Python loop."""

from __future__ import annotations

import numpy as np
import pytest
from scenario_fixtures import fixture_scenario

from costmodel.montecarlo import UNCERTAIN_INPUTS, BillModel, benchmark, sample_inputs
from costmodel.scenario import Inputs, load_scenario

POINTS = [
    Inputs(),
    Inputs(duration_factor=1.7, log_factor=2.2, invalid_share=0.25, retry_rate=0.15),
    Inputs(duration_factor=0.7, log_factor=0.8, invalid_share=0.02, retry_rate=0.0),
]


def _one(inputs: Inputs) -> Inputs:
    return Inputs(*(None if v is None else np.array([v]) for v in vars(inputs).values()))


@pytest.mark.parametrize("free_tier", ["none", "always-free", "legacy-12-month"])
@pytest.mark.parametrize("users", [0, 1000, 777_777, 5_000_000, 400_000_000])
def test_agrees_with_the_decimal_engine_on_point_inputs(free_tier: str, users: int) -> None:
    scenario = fixture_scenario(free_tier)
    model = BillModel(scenario)
    for inputs in POINTS:
        exact = float(scenario.bill(users, inputs).total)
        assert model.totals(users, _one(inputs))[0] == pytest.approx(exact, abs=0.02)


def test_agrees_on_the_real_template_with_essentials_plan() -> None:
    scenario = load_scenario(free_tier="always-free", ses_plan="essentials")
    model = BillModel(scenario)
    for users in (1000, 2_000_000):
        exact = float(scenario.bill(users).total)
        assert model.totals(users, _one(Inputs()))[0] == pytest.approx(exact, abs=0.02)


def test_loop_reference_equals_the_vectorised_model() -> None:
    model = BillModel(fixture_scenario("always-free"))
    inputs = sample_inputs(model.scenario, 300, seed=3)
    users = np.linspace(0, 3_000_000, 300)
    vectorised = model.totals(users, inputs, users * 4)
    looped = model.totals_loop(users, inputs, users * 4)
    assert np.allclose(vectorised, looped, rtol=0, atol=1e-9)
    assert len(set(np.round(vectorised, 2))) > 100  # the draws really vary the bill


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
