"""Embedded pipeline: sustained onboardings per second and register-to-completed latency.

Wraps :func:`onramp.bench.throughput.run_latency_benchmark` (open-loop registrations on a fixed
schedule against the real embedded stack) at several rates, one fresh stack per rate.

Example::

    result = run(rates=(5, 20, 50), seconds=15)
    highest_sustained_rate(result.raw["runs"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onramp.bench.result import BenchResult, Figure
from onramp.bench.throughput import TARGET_P95_MS, run_latency_benchmark

RATES = (5.0, 20.0, 50.0)
SUSTAINED_SHARE = 0.9
"""A rate is sustained when the pipeline drains, meets the p95 target and completes at least
this share of the rate per second."""


def sustained(run: dict[str, Any]) -> bool:
    """True when the run drained, met the p95 target and kept pace with its rate."""
    p95 = run["latency_ms"]["p95"]
    return (
        bool(run["drained"])
        and p95 is not None
        and p95 <= TARGET_P95_MS
        and run["onboardings_per_s"] >= SUSTAINED_SHARE * run["rate"]
    )


def highest_sustained_rate(runs: Sequence[dict[str, Any]]) -> float | None:
    """The highest rate among ``runs`` the pipeline sustained (None if it sustained none)."""
    rates = [run["rate"] for run in runs if sustained(run)]
    return max(rates, default=None)


def pipeline_result(runs: list[dict[str, Any]]) -> BenchResult:
    """Rows per rate; figures: p95 against the target and throughput against the rate."""
    result = BenchResult(
        name="pipeline",
        title="Embedded pipeline: throughput and register-to-completed latency",
        header=[
            "rate /s",
            "seconds",
            "sent",
            "completed",
            "drained",
            "onboardings/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
        ],
        notes=[
            "Open-loop registrations on a fixed schedule; latency from each user's own "
            "created_at and completed updated_at. One fresh embedded stack per rate.",
            f"Sustained: drained, p95 <= {TARGET_P95_MS:g} ms and at least "
            f"{SUSTAINED_SHARE:.0%} of the rate completed per second.",
        ],
        raw={"runs": runs},
    )
    for run in runs:
        latency = run["latency_ms"]
        result.rows.append(
            [
                f"{run['rate']:g}",
                f"{run['seconds']:g}",
                str(run["sent"]),
                str(run["completed"]),
                "yes" if run["drained"] else "no",
                f"{run['onboardings_per_s']:.2f}",
                *(_ms(latency[key]) for key in ("p50", "p95", "p99", "max")),
            ]
        )
        p95 = latency["p95"]
        result.figures.append(
            Figure(
                f"p95 register-to-completed at {run['rate']:g}/s",
                f"{_ms(p95)} ms ({run['onboardings_per_s']:.2f} onboardings/s)",
                f"<= {TARGET_P95_MS:g} ms",
                sustained(run),
                p95 / TARGET_P95_MS if p95 is not None else None,
            )
        )
    best = highest_sustained_rate(runs)
    result.notes.append(
        f"Highest sustained rate measured: {best:g}/s." if best else "No rate was sustained."
    )
    return result


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def run(rates: Sequence[float] = RATES, seconds: float = 15.0) -> BenchResult:
    """Run the embedded pipeline at each rate for ``seconds`` and report."""
    return pipeline_result([run_latency_benchmark(rate, seconds) for rate in rates])
