"""One story: the shape priced is named, the latest run is the default, the band is real."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scenario_fixtures import TEMPLATE, fixture_scenario

from costmodel.forecast.montecarlo import BillModel, sample_inputs
from costmodel.forecast.projection import project
from costmodel.forecast.scenario import Inputs, load_scenario
from costmodel.forecast.sensitivity import sensitivity, widest
from onramp.cli import main
from onramp.reports.notebooks import SAMPLE_RUN

DEFAULTS_SHAPE = "documented defaults (cold starts 1% of invocations, 400 ms INIT)"
BASE = ["--template", str(TEMPLATE), "--free-tier", "always-free"]


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs/ folder holding one recorded run (the shipped sample's files)."""
    root = tmp_path / "runs"
    shutil.copytree(SAMPLE_RUN, root / "20261201T100000Z-ab12")
    monkeypatch.setattr("onramp.cli.cost_analysis.RUNS_DIR", root)
    return root


def cost(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["cost", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cost_commands_price_the_latest_run_and_name_it(
    runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cost(capsys, "breakeven", *BASE)
    assert code == 0 and "measured: run sample-run" in out  # the run id inside measurement.json
    code, out, _ = cost(capsys, "breakeven", *BASE, "--shape", "defaults")
    assert code == 0 and "documented defaults" in out and "measured" not in out
    code, out, _ = cost(capsys, "estimate", "--users", "1000", *BASE, "--format", "json")
    doc = json.loads(out)
    assert doc["shape"] == "measured: run sample-run" and doc["free_tier"] == "always-free"


def test_without_a_run_the_documented_defaults_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("onramp.cli.cost_analysis.RUNS_DIR", tmp_path / "no-runs")
    code, out, _ = cost(capsys, "sensitivity", "--users", "1000", *BASE)
    assert code == 0 and f"{DEFAULTS_SHAPE}; free tier always-free" in out


@pytest.mark.parametrize("growth", ["10", "1.5", "-3"])
def test_a_bare_growth_above_one_needs_its_unit(
    growth: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cost(capsys, "project", "--users", "1000", "--growth", growth, *BASE)
    assert code == 2 and err.count("\n") == 1 and "--growth" in err and "%" in err


def test_the_band_has_width_at_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["project", "--users", "1000", "--growth", "10%", *BASE, "--shape", "defaults"]
    code, out, _ = cost(capsys, *argv, "--simulations", "2000", "--format", "json")
    doc = json.loads(out)
    last = doc["rows"][-1]
    assert code == 0 and float(last["p10"]) < float(last["p50"]) < float(last["p90"])
    assert last["users_p10"] < last["users"] < last["users_p90"]
    assert "sd 2.5 pp" in doc["uncertainty"] and doc["shape"] == DEFAULTS_SHAPE


def test_a_fixed_growth_and_the_free_tier_leave_the_band_flat_at_low_volume() -> None:
    result = project(3, 1000, 0.1, scenario=fixture_scenario("always-free"), growth_spread=0)
    assert {(row["p10"], row["p90"]) == (row["p50"], row["p50"]) for row in result.rows} == {True}
    assert "fixed" in result.uncertainty


def test_a_measured_shape_is_bootstrapped_from_its_own_invocations() -> None:
    scenario = load_scenario(SAMPLE_RUN, free_tier="always-free")
    assert scenario.evidence is not None
    assert scenario.evidence.invocations == 282  # the rows of the sample's invocations.csv
    inputs = sample_inputs(scenario, 4000, seed=1)
    for key, factors in inputs.function_durations.items():
        assert factors.mean() == pytest.approx(1.0, abs=0.03), key  # centred on the run
        assert factors.std() > 0.01, key
    assert inputs.failure_share.mean() == pytest.approx(float(scenario.per.failure_share), abs=0.01)
    # the vectorised model and the exact Decimal engine agree on bootstrapped inputs
    model = BillModel(scenario)
    head = sample_inputs(scenario, 50, seed=2)
    users = np.full(50, 2_000_000.0)
    assert np.allclose(model.totals(users, head), model.totals_loop(users, head), atol=1e-9)


def test_bootstrapped_inputs_agree_with_the_decimal_engine() -> None:
    scenario = load_scenario(SAMPLE_RUN, free_tier="none")
    point = Inputs(
        function_durations={"provision": 1.3}, failure_share=0.2, stream_batches={"enrich": 1.5}
    )
    one = Inputs(
        duration_factor=np.array([1.0]),
        function_durations={"provision": np.array([1.3])},
        failure_share=np.array([0.2]),
        stream_batches={"enrich": np.array([1.5])},
    )
    exact = scenario.bill(3_000_000, point)
    # to the cent: the vectorised model runs the same engine on arrays
    assert round(BillModel(scenario).totals(3_000_000, one)[0], 2) == float(exact.total)
    assert exact.total != scenario.bill(3_000_000).total
    fewer_emails = scenario.usage(1000, Inputs(failure_share=0.5))["resources"]
    ses = next(r for r in fewer_emails if r["service"] == "ses")
    assert float(ses["recipients"]) == pytest.approx(1000 * 0.5, rel=1e-9)


def test_the_tornado_says_when_an_input_has_no_effect() -> None:
    rows = sensitivity(1000, fixture_scenario("always-free"))
    assert widest(rows) is None
    assert all(row["effect"].startswith("no effect at 1,000 a month") for row in rows)
    moved = sensitivity(1000, load_scenario(SAMPLE_RUN), volumes=(700, 1500))
    assert widest(moved) == "onboardings a month"
    assert next(r for r in moved if r["input"] == "onboardings a month")["effect"] == ""
