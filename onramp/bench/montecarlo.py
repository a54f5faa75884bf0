"""Cost model: Monte Carlo scenarios per second, vectorised against the exact engine's loop.

Wraps :func:`costmodel.forecast.montecarlo.benchmark` (one engine: numpy arrays against the Decimal
bill of one scenario at a time) on the documented default scenario.

Example::

    result = run(simulations=1_000_000, loop_simulations=20_000)
"""

from __future__ import annotations

from costmodel.forecast.montecarlo import BillModel, SpeedUp, benchmark
from costmodel.forecast.scenario import load_scenario
from onramp.bench.result import BenchResult, Figure

GOAL_SPEEDUP = 100.0
GOAL_MILLION_S = 2.0
MILLION = 1_000_000
USERS = 100_000


def montecarlo_result(timing: SpeedUp) -> BenchResult:
    """Figures: speed-up against the loop, and the time of a million scenarios."""
    vector_rate = timing.simulations / timing.vectorised_s
    loop_rate = timing.loop_simulations / timing.loop_s
    million_s = timing.vectorised_s * MILLION / timing.simulations
    result = BenchResult(
        name="montecarlo",
        title="Cost model: Monte Carlo scenarios per second",
        header=["model", "scenarios", "seconds", "scenarios/s"],
        rows=[
            [
                "vectorised (numpy)",
                str(timing.simulations),
                f"{timing.vectorised_s:.3f}",
                f"{vector_rate:,.0f}",
            ],
            [
                "exact Decimal engine, one at a time",
                str(timing.loop_simulations),
                f"{timing.loop_s:.3f}",
                f"{loop_rate:,.0f}",
            ],
        ],
        figures=[
            Figure(
                "vectorised speed-up over the loop (per scenario)",
                f"{timing.speedup:,.0f}x",
                f">= {GOAL_SPEEDUP:g}x",
                timing.speedup >= GOAL_SPEEDUP,
                timing.speedup,
            ),
            Figure(
                "1,000,000 scenarios"
                + ("" if timing.simulations == MILLION else " (scaled from the run)"),
                f"{million_s:.2f} s",
                f"<= {GOAL_MILLION_S:g} s",
                million_s <= GOAL_MILLION_S,
                million_s / GOAL_MILLION_S,
            ),
        ],
        notes=[f"Default scenario (documented per-onboarding shape), {USERS:,} onboardings."],
    )
    return result


def run(simulations: int = MILLION, loop_simulations: int = 20_000) -> BenchResult:
    """Time the model both ways and report."""
    model = BillModel(load_scenario())
    return montecarlo_result(benchmark(model, USERS, simulations, loop_simulations))
