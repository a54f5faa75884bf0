"""Tornado data: each input moved alone, exact bills, widest swing first."""

from __future__ import annotations

from dataclasses import replace

from scenario_fixtures import fixture_scenario

from costmodel.forecast.montecarlo import UNCERTAIN_INPUTS
from costmodel.forecast.scenario import Inputs
from costmodel.forecast.sensitivity import sensitivity


def test_each_input_moved_alone() -> None:
    scenario = fixture_scenario("none")
    rows = sensitivity(500_000, scenario)
    assert [row["swing"] for row in rows] == sorted((row["swing"] for row in rows), reverse=True)
    assert {row["input"] for row in rows} == {spec.label for spec in UNCERTAIN_INPUTS}
    base = Inputs(**{spec.name: spec.base(scenario) for spec in UNCERTAIN_INPUTS})
    assert all(row["bill_base"] == scenario.bill(500_000).total for row in rows)
    durations = next(spec for spec in UNCERTAIN_INPUTS if spec.name == "duration_factor")
    row = next(row for row in rows if row["input"] == durations.label)
    assert row["bill_high"] == scenario.bill(500_000, replace(base, duration_factor=2.0)).total
    assert row["bill_low"] < row["bill_base"] < row["bill_high"]


def test_free_tier_flattens_the_tornado_at_low_volume() -> None:
    rows = sensitivity(1000, fixture_scenario("always-free"))
    assert {row["swing"] for row in rows} == {0}
