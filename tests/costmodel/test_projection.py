"""Monthly projection: growth, accumulating storage, an ordered band, the budget line."""

from __future__ import annotations

from decimal import Decimal

from scenario_fixtures import fixture_scenario

from costmodel.forecast.projection import monthly_users, project


def test_monthly_users_compound() -> None:
    assert monthly_users(4, 1000, 0.10) == [1000, 1100, 1210, 1331]
    assert monthly_users(3, 500, 0.0) == [500, 500, 500]


def test_projection_rows_and_band() -> None:
    result = project(12, 200_000, 0.25, scenario=fixture_scenario("none"), simulations=2000, seed=5)
    assert [row["month"] for row in result.rows] == list(range(1, 13))
    assert result.rows[2]["cumulative_users"] == 200_000 + 250_000 + 312_500
    for row in result.rows:
        assert row["p10"] <= row["p50"] <= row["p90"]
        assert row["budget"] == Decimal(100)
    medians = [row["p50"] for row in result.rows]
    assert medians == sorted(medians)
    over = result.first_month_over_budget()
    assert over is not None and result.rows[over - 1]["p50"] > Decimal(100)
    assert all(row["p50"] <= Decimal(100) for row in result.rows[: over - 1])


def test_flat_volume_still_grows_with_storage() -> None:
    result = project(6, 1_000_000, 0.0, scenario=fixture_scenario("none"), simulations=500)
    assert result.rows[-1]["p50"] > result.rows[0]["p50"]  # DynamoDB rows accumulate


def test_same_seed_same_projection() -> None:
    def run() -> list:
        return project(3, 1000, 0.1, scenario=fixture_scenario(), simulations=300, seed=9).rows

    assert run() == run()
