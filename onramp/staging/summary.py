"""Plain-text summaries printed by `onramp measure` and after a staging load test."""

from __future__ import annotations

from costmodel.measurement import Measurement
from onramp.staging.window_cost import WindowCost


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def measurement_summary(measurement: Measurement) -> str:
    """Window, onboardings, API, and one line per function (invocations, errors, durations)."""
    window, done, api = measurement.window, measurement.onboardings, measurement.api
    p50, p99 = (api.latency_ms.p50, api.latency_ms.p99) if api.latency_ms else (None, None)
    lines = [
        f"run {measurement.run_id}  {measurement.region}  {window.start} .. "
        f"{window.end} ({window.seconds:.0f} s)",
        f"onboardings: accepted {done.accepted}, completed {done.completed}, failed "
        f"{done.failed}, rejected {done.rejected}, lost {done.lost}",
        f"API: {api.requests} requests, latency p50 {_ms(p50)} / p99 {_ms(p99)} ms",
        f"{'function':<10} {'invocations':>11} {'errors':>6} {'throttles':>9} {'cold':>5}"
        f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'billed ms':>10}",
    ]
    for key, fn in measurement.functions.items():
        d = fn.duration_ms
        lines.append(
            f"{key:<10} {fn.invocations:>11} {fn.errors:>6} {fn.throttles or 0:>9}"
            f" {fn.cold_starts:>5} {_ms(d.p50):>7} {_ms(d.p95):>7} {_ms(d.p99):>7}"
            f" {_ms(d.max):>7} {fn.billed_ms_total:>10.0f}"
        )
    for key, table in measurement.dynamodb.items():
        lines.append(
            f"DynamoDB {key}: {table.write_request_units:.0f} write units,"
            f" {table.read_request_units:.0f} read units"
        )
    lines.append(
        f"SES sends {measurement.ses.messages}, dead letters "
        f"{measurement.sqs.dead_letters or 0}, log bytes "
        f"{measurement.logs.bytes_ingested}"
    )
    return "\n".join(lines)


def window_cost_summary(cost: WindowCost) -> str:
    """The modelled cost of the window, per service and in total."""
    lines = [f"modelled cost of the window ({cost.window_seconds:.0f} s):"]
    lines += [f"  {service:<12} ${amount}" for service, amount in cost.by_service.items()]
    lines.append(f"  {'total':<12} ${cost.total}")
    return "\n".join([*lines, *cost.notes])
