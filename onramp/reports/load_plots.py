"""Matplotlib figures of a load run, for the architects' notebook (no pyplot: Agg-safe).

Example::

    fig = load_over_time(locust_history(run_dir))
    fig = duration_ecdf(duration_ecdfs(read_invocations(run_dir)), alarm_ms=1000)
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from onramp.reports.cost_plots import BUDGET_STYLE, OUTSIDE_RIGHT, stamp
from onramp.reports.load_analysis import Ecdf

LATENCIES = (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99"))


def load_over_time(history: pd.DataFrame, note: str = "") -> Figure:
    """Requests (and failures) a second and concurrent users over the run."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.plot(history["elapsed_s"], history["requests_per_s"], label="requests/s")
    ax.plot(history["elapsed_s"], history["failures_per_s"], label="failures/s")
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel("per second")
    users = ax.twinx()
    users.step(history["elapsed_s"], history["users"], color="grey", where="post", label="users")
    users.set_ylabel("Locust users")
    lines = ax.get_legend_handles_labels()
    more = users.get_legend_handles_labels()
    ax.legend(
        lines[0] + more[0], lines[1] + more[1], **(OUTSIDE_RIGHT | {"bbox_to_anchor": (1.1, 1.0)})
    )
    ax.set_title("Load over time")
    return stamp(fig, note)


def latency_over_time(history: pd.DataFrame, note: str = "") -> Figure:
    """Client-side response-time percentiles (Locust, cumulative) over the run."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for column, label in LATENCIES:
        ax.plot(history["elapsed_s"], history[column], label=label)
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel("response time (ms)")
    ax.set_title("API latency percentiles over time (client side)")
    ax.legend(**OUTSIDE_RIGHT)
    return stamp(fig, note)


def duration_ecdf(ecdfs: Sequence[Ecdf], alarm_ms: float, note: str = "") -> Figure:
    """One ECDF per function, the alarm threshold as a vertical line, each p99 marked (dot)."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for ecdf in ecdfs:
        label = f"{ecdf.function} (p99 {ecdf.p99_ms:.0f} ms)"
        (line,) = ax.step(ecdf.durations_ms, ecdf.share, where="post", label=label)
        ax.plot([ecdf.p99_ms], [0.99], marker="o", color=line.get_color())
    ax.axvline(alarm_ms, label=f"alarm {alarm_ms:.0f} ms", **BUDGET_STYLE)
    ax.set_xscale("log")
    ax.set_xlabel("duration (ms, log scale)")
    ax.set_ylabel("share of invocations")
    ax.set_title("Lambda duration per function (ECDF)")
    ax.legend(**OUTSIDE_RIGHT)
    return stamp(fig, note)
