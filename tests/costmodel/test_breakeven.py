"""Break-even: the budget is really crossed between the two volumes reported."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scenario_fixtures import fixture_scenario

from costmodel.forecast.breakeven import breakeven, cost_curve


@pytest.mark.parametrize(
    ("free_tier", "budget"),
    [("none", "100"), ("always-free", "100"), ("legacy-12-month", "100"), ("none", "7.5")],
)
def test_the_budget_breaks_between_the_two_volumes(free_tier: str, budget: str) -> None:
    scenario = fixture_scenario(free_tier)
    result = breakeven(scenario, Decimal(budget))
    assert result.within_budget is not None and result.first_over == result.within_budget + 1
    assert scenario.bill(result.within_budget).total <= Decimal(budget)
    assert scenario.bill(result.first_over).total > Decimal(budget)
    assert result.bill_within == scenario.bill(result.within_budget).total


def test_free_tier_moves_the_break_even_up() -> None:
    none = breakeven(fixture_scenario("none"), Decimal(100)).within_budget
    free = breakeven(fixture_scenario("always-free"), Decimal(100)).within_budget
    assert none is not None and free is not None and free > none


def test_fixed_costs_alone_over_budget() -> None:
    result = breakeven(fixture_scenario("none"), Decimal("0.50"))  # fixed part: 0.80 of alarms
    assert (result.within_budget, result.first_over, result.bill_over) == (
        None,
        0,
        Decimal("0.80"),
    )


def test_budget_that_never_breaks_within_the_search_limit() -> None:
    result = breakeven(fixture_scenario("none"), Decimal(1_000_000), limit=1024)
    assert (result.within_budget, result.first_over) == (1024, None)


def test_default_budget_is_the_templates() -> None:
    assert breakeven(fixture_scenario("none")).budget == Decimal(100)


def test_cost_curve_rises_with_volume() -> None:
    curve = cost_curve(fixture_scenario("none"), [0, 1000, 100_000, 1_000_000])
    assert curve == sorted(curve) and curve[0] == Decimal("0.80")
