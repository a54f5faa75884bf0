"""The architects' view of one run: load over time, Lambda durations, cost per onboarding.

Reads a run directory (``measurement.json``, ``invocations.csv`` and Locust's
``locust_stats_history.csv``) and prices what to change through the Decimal engine.

Example::

    history = locust_history("samples/sample-run")        # DataFrame, one row per second
    durations = read_invocations("samples/sample-run")    # one row per invocation
    duration_summary(durations, alarm_ms=1000)            # p50/p95/p99/max per function
    what_to_change(load_scenario("samples/sample-run"), users=10_000)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costmodel.forecast.scenario import Estimate, Inputs, Scenario
from costmodel.measurement import Measurement
from kernel.errors import UsageError
from kernel.sam_template import DEFAULT_TEMPLATE, load_template, resources_of_type
from loadtest.results import AGGREGATED, HISTORY_CSV

INVOCATIONS_CSV = "invocations.csv"
INVOCATION_COLUMNS = ("function", "start", "duration_ms", "billed_ms", "outcome")
LATENCY_COLUMNS = {"50%": "p50_ms", "95%": "p95_ms", "99%": "p99_ms"}
ARCHITECTURES = ("x86_64", "arm64")
RIGHT_SIZED_MEMORY_MB = 128
"""Lambda's smallest memory size; the onboarding handlers wait on AWS calls, not on CPU."""
LOG_CUT = 0.5
"""Log volume kept after the cut: INFO instead of DEBUG, no event dumps (half the bytes)."""


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with the named columns, or UsageError naming the file and what is wrong."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (run `onramp demo` to record a run)") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable CSV ({exc})") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise UsageError(f"{path}: missing column {missing[0]!r}")
    return frame


def read_invocations(run_dir: Path | str) -> pd.DataFrame:
    """Every invocation of the run: function, start (UTC), duration_ms, billed_ms, outcome."""
    path = Path(run_dir) / INVOCATIONS_CSV
    frame = _read_csv(path, INVOCATION_COLUMNS)
    try:
        frame["start"] = pd.to_datetime(frame["start"], utc=True, format="ISO8601")
        frame["duration_ms"] = frame["duration_ms"].astype(float)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: bad start or duration_ms value ({exc})") from None
    return frame.sort_values("start", ignore_index=True)


def locust_history(run_dir: Path | str) -> pd.DataFrame:
    """Locust's aggregated history: time, users, requests/s, failures/s, p50/p95/p99 (ms).

    Rows before the first percentile (Locust writes ``N/A``) keep NaN latencies.
    """
    path = Path(run_dir) / HISTORY_CSV
    columns = ("Timestamp", "User Count", "Name", "Requests/s", "Failures/s", *LATENCY_COLUMNS)
    frame = _read_csv(path, columns)
    frame = frame[frame["Name"] == AGGREGATED]
    history = pd.DataFrame(
        {
            "time": pd.to_datetime(frame["Timestamp"], unit="s", utc=True),
            "users": frame["User Count"].astype(int),
            "requests_per_s": frame["Requests/s"].astype(float),
            "failures_per_s": frame["Failures/s"].astype(float),
        }
    )
    for column, name in LATENCY_COLUMNS.items():
        history[name] = pd.to_numeric(frame[column], errors="coerce")
    history["elapsed_s"] = (history["time"] - history["time"].min()).dt.total_seconds()
    return history.reset_index(drop=True)


def duration_alarm_ms(template: Path | str = DEFAULT_TEMPLATE) -> float:
    """The Lambda duration alarm's threshold in ms (the lowest of the template's)."""
    alarms = resources_of_type(load_template(Path(template)), "AWS::CloudWatch::Alarm")
    thresholds = [
        float(alarm["Properties"]["Threshold"])
        for alarm in alarms.values()
        if alarm["Properties"].get("MetricName") == "Duration"
        and alarm["Properties"].get("Namespace") == "AWS/Lambda"
    ]
    if not thresholds:
        raise UsageError(f"{template}: no AWS/Lambda Duration alarm")
    return min(thresholds)


@dataclass(frozen=True)
class Ecdf:
    """The empirical distribution of one function's durations."""

    function: str
    durations_ms: np.ndarray
    """Sorted durations."""
    share: np.ndarray
    """Share of invocations at or below each duration (1/n .. 1)."""
    p99_ms: float


def duration_ecdfs(invocations: pd.DataFrame) -> list[Ecdf]:
    """One ECDF per function (in the order functions first appear), with its p99."""
    ecdfs = []
    for function, group in invocations.groupby("function", sort=False):
        values = np.sort(group["duration_ms"].to_numpy(dtype=float))
        share = np.arange(1, len(values) + 1) / len(values)
        ecdfs.append(Ecdf(str(function), values, share, float(np.percentile(values, 99))))
    return ecdfs


def duration_summary(invocations: pd.DataFrame, alarm_ms: float) -> list[dict[str, Any]]:
    """Per function: invocations, errors, p50/p95/p99/max ms, invocations over the alarm line.

    ``alarm_breached`` is the alarm's own rule: p99 above the threshold.
    """
    rows = []
    for function, group in invocations.groupby("function", sort=False):
        durations = group["duration_ms"].to_numpy(dtype=float)
        p50, p95, p99 = np.percentile(durations, [50, 95, 99])
        rows.append(
            {
                "function": str(function),
                "invocations": len(durations),
                "errors": int((group["outcome"] != "ok").sum()),
                "p50_ms": round(float(p50), 2),
                "p95_ms": round(float(p95), 2),
                "p99_ms": round(float(p99), 2),
                "max_ms": round(float(durations.max()), 2),
                "over_alarm": int((durations > alarm_ms).sum()),
                "alarm_breached": bool(p99 > alarm_ms),
            }
        )
    return rows


def per_onboarding_table(measurement: Measurement) -> list[dict[str, Any]]:
    """What one accepted onboarding costs in work: invocations, write units, log bytes, ..."""
    per = measurement.per_onboarding()
    rows: list[tuple[str, Decimal]] = [
        *((f"{key} invocations", value) for key, value in per.invocations.items()),
        *((f"{key} billed ms", value) for key, value in per.billed_ms.items()),
        ("API requests", per.api_requests),
        ("DynamoDB write units", per.write_request_units_total),
        ("DynamoDB read units", per.read_request_units_total),
        ("log bytes", per.log_bytes),
        ("emails (recipients)", per.emails),
        ("S3 PUT requests", per.s3_put_requests),
        ("SQS requests", per.sqs_requests),
    ]
    return [{"figure": label, "per_onboarding": round(float(value), 4)} for label, value in rows]


def with_functions(scenario: Scenario, **changes: Any) -> Scenario:
    """The scenario with every function's spec changed (e.g. ``architecture="arm64"``)."""
    stack = scenario.stack
    functions = {key: replace(spec, **changes) for key, spec in stack.functions.items()}
    return replace(scenario, stack=replace(stack, functions=functions))


def cost_changes(scenario: Scenario) -> list[tuple[str, str, Scenario, Inputs | None]]:
    """The candidate changes: (change, assumption, changed scenario, uncertain inputs)."""
    changes: list[tuple[str, str, Scenario, Inputs | None]] = [
        ("as deployed", "the template as it is, the measured shape", scenario, None)
    ]
    for architecture in ARCHITECTURES:
        changes.append(
            (
                f"every function on {architecture}",
                "same billed ms; arm64 GB-s is 20% cheaper than x86_64",
                with_functions(scenario, architecture=architecture),
                None,
            )
        )
    changes.append(
        (
            f"memory {RIGHT_SIZED_MEMORY_MB} MB",
            "I/O-bound handlers: billed ms unchanged at the smaller size (check p99 after)",
            with_functions(scenario, memory_mb=RIGHT_SIZED_MEMORY_MB),
            None,
        )
    )
    changes.append(
        (
            f"log volume -{(1 - LOG_CUT) * 100:.0f}%",
            "INFO level, no event dumps: each invocation logs half the bytes",
            scenario,
            Inputs(log_factor=LOG_CUT),
        )
    )
    return changes


def what_to_change(scenario: Scenario, users: int) -> list[dict[str, Any]]:
    """Each candidate change priced exactly for ``users`` onboardings a month.

    ``saving_usd`` is the change in the monthly bill against the deployed template (positive:
    cheaper); ``per_1000_usd`` is the all-in cost per 1,000 onboardings.
    """
    base = scenario.bill(users).total
    rows = []
    for change, assumption, changed, inputs in cost_changes(scenario):
        priced = Estimate(users, changed.bill(users, inputs), changed.bill(0, inputs))
        rows.append(
            {
                "change": change,
                "monthly_usd": priced.total,
                "saving_usd": base - priced.total,
                "per_1000_usd": priced.per_1000,
                "assumption": assumption,
            }
        )
    return rows
