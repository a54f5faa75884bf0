"""The figures draw the data they are given (Agg, no display)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_fixtures import fixture_scenario

from costmodel.forecast.breakeven import breakeven, cost_curve
from costmodel.forecast.projection import project
from costmodel.forecast.sensitivity import sensitivity
from onramp.reports.cost_plots import breakeven_curve, cost_by_service, projection_band, tornado


def test_every_figure_renders(tmp_path: Path) -> None:
    scenario = fixture_scenario("none")
    bills = {f"{n:,}": scenario.bill(n) for n in (1000, 1_000_000)}
    stacked = cost_by_service(bills)
    assert len(stacked.axes[0].patches) == len(bills) * len(bills["1,000,000"].by_service())
    users = [1000, 100_000, 1_000_000]
    curve = breakeven_curve(
        users, cost_curve(scenario, users), 100, breakeven(scenario).within_budget
    )
    assert list(curve.axes[0].lines[0].get_xdata()) == users
    result = project(6, 100_000, 0.5, scenario=scenario, simulations=200)
    band = projection_band(result)
    assert list(band.axes[0].lines[0].get_ydata()) == [float(r["p50"]) for r in result.rows]
    rows = sensitivity(500_000, scenario)
    bars = tornado(rows).axes[0].patches
    widths = [bar.get_width() for bar in bars][::-1]
    assert widths == pytest.approx([float(r["swing"]) for r in rows])
    for index, figure in enumerate((stacked, curve, band)):
        figure.savefig(tmp_path / f"{index}.png")
        assert (tmp_path / f"{index}.png").stat().st_size > 1000


def test_a_figure_names_what_it_shows_and_labels_sample_data() -> None:
    scenario = fixture_scenario("always-free")
    rows = sensitivity(1000, scenario)
    figure = tornado(rows, note=f"{scenario.describe()} | SAMPLE DATA: not your account")
    (note,) = figure.texts
    shape = "documented defaults (cold starts 1% of invocations, 400 ms INIT)"
    assert f"{shape}; free tier always-free" in note.get_text()
    assert note.get_color() == "#b00020" and note.get_fontweight() == "bold"
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert labels == ["  no effect at this volume"] * len(rows)  # said, not left blank
