"""Every alarm of the template judged on a run's datapoints, as CloudWatch evaluates it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kernel.sam_template import DEFAULT_TEMPLATE
from onramp.alarms import INDICATIVE_BELOW, judge_alarms
from onramp.demo import DemoOutcome
from onramp.verify import Verification

PERIOD_START = pd.Timestamp("2026-12-01T10:00:00Z")  # a 5-minute boundary
NAMESPACE = "Onramp"


def invocations(function: str, durations: list[float], outcome: str = "ok") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "function": function,
            "start": [PERIOD_START + pd.Timedelta(seconds=i * 0.1) for i in range(len(durations))],
            "duration_ms": durations,
            "billed_ms": [int(d) + 1 for d in durations],
            "outcome": outcome,
        }
    )


def record_metrics(function: str, times: list[float], failures: list[int]) -> pd.DataFrame:
    def rows(metric: str, values: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "function": function,
                "start": [PERIOD_START + pd.Timedelta(seconds=i * 0.1) for i in range(len(values))],
                "namespace": NAMESPACE,
                "metric": metric,
                "dimensions": "{}",
                "value": values,
            }
        )

    return pd.concat([rows("RecordProcessingTime", times), rows("RecordFailures", failures)])


def healthy_run(records: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    calls = pd.concat(
        [
            invocations("register", [20.0] * 220),
            invocations("enrich", [300.0] * 120),
            invocations("provision", [400.0] * 120),
        ],
        ignore_index=True,
    )
    metrics = pd.concat(
        [
            record_metrics("enrich", [90.0] * records, [0] * 20),
            record_metrics("provision", [150.0] * records, [0] * 20),
        ],
        ignore_index=True,
    )
    return calls, metrics


def states(calls: pd.DataFrame, metrics: pd.DataFrame, dead_letters: int = 0) -> dict[str, str]:
    return {c.alarm: c.state for c in judge_alarms(DEFAULT_TEMPLATE, calls, metrics, dead_letters)}


def test_a_clean_run_fires_nothing_and_judges_every_alarm_it_can() -> None:
    result = states(*healthy_run())
    assert result["UsersTableWriteAnomalyAlarm"] == "not judged"  # needs CloudWatch's model
    assert {state for alarm, state in result.items() if "Anomaly" not in alarm} == {"ok"}
    assert {
        "EnrichRecordTimeAlarm",
        "ProvisionRecordFailureRateAlarm",
        "ProvisionDurationAlarm",
        "RegisterErrorRateAlarm",
        "DeadLetterQueueAlarm",
    } <= result.keys()
    assert "DataLakeRecordTimeAlarm" not in result  # its condition is false by default


def test_a_slow_step_fires_the_record_time_alarm_by_name() -> None:
    calls, metrics = healthy_run()
    slow = record_metrics("provision", [150.0] * 190 + [1500.0] * 10, [0] * 20)
    metrics = pd.concat([metrics[metrics["function"] != "provision"], slow], ignore_index=True)
    checks = {c.alarm: c for c in judge_alarms(DEFAULT_TEMPLATE, calls, metrics, 0)}
    fired = checks["ProvisionRecordTimeAlarm"]
    assert fired.fires and fired.state == "FIRES"
    assert fired.value == pytest.approx(1500.0) and fired.samples == 200
    assert [c.alarm for c in checks.values() if c.fires] == ["ProvisionRecordTimeAlarm"]


def test_a_p99_on_few_invocations_is_indicative_and_does_not_fire() -> None:
    calls, metrics = healthy_run()
    few = invocations("enrich", [300.0] * 21 + [1411.0])  # the 22 invocations
    calls = pd.concat([calls[calls["function"] != "enrich"], few], ignore_index=True)
    check = {c.alarm: c for c in judge_alarms(DEFAULT_TEMPLATE, calls, metrics, 0)}[
        "EnrichDurationAlarm"
    ]
    assert check.samples == 22 < INDICATIVE_BELOW
    assert check.breached and check.indicative and not check.fires
    assert check.state == "indicative breach" and "22 samples" in check.note


def test_records_in_batch_item_failures_fire_the_record_failure_rate_alarm() -> None:
    calls, metrics = healthy_run(records=100)
    failing = record_metrics("enrich", [90.0] * 100, [0] * 14 + [6])  # 6 of 100 records: 6 %
    metrics = pd.concat([metrics[metrics["function"] != "enrich"], failing], ignore_index=True)
    checks = {c.alarm: c for c in judge_alarms(DEFAULT_TEMPLATE, calls, metrics, 0)}
    assert checks["EnrichRecordFailureRateAlarm"].fires
    assert checks["EnrichRecordFailureRateAlarm"].value == pytest.approx(6.0)
    assert not checks["EnrichErrorRateAlarm"].fires  # the invocations themselves succeeded


def test_function_errors_and_dead_letters_fire_their_alarms() -> None:
    calls, metrics = healthy_run()
    errors = invocations("provision", [400.0] * 6, outcome="error")  # 6 of 126: 4.8 %: ok
    result = states(pd.concat([calls, errors], ignore_index=True), metrics, dead_letters=1)
    assert result["ProvisionErrorRateAlarm"] == "ok"
    assert result["DeadLetterQueueAlarm"] == "FIRES"
    errors = invocations("provision", [400.0] * 7, outcome="error")  # 7 of 127: 5.5 %
    result = states(pd.concat([calls, errors], ignore_index=True), metrics)
    assert result["ProvisionErrorRateAlarm"] == "FIRES"


def test_periods_are_clock_aligned_like_cloudwatchs() -> None:
    """Slow records split over two 5-minute periods: neither period's p99 breaches alone."""
    calls, metrics = healthy_run()
    late = record_metrics("provision", [1500.0] * 1, [0])
    late["start"] = PERIOD_START + pd.Timedelta(minutes=5, seconds=1)
    early = record_metrics("provision", [150.0] * 150, [0] * 15)
    metrics = pd.concat([metrics[metrics["function"] != "provision"], early, late])
    check = {c.alarm: c for c in judge_alarms(DEFAULT_TEMPLATE, calls, metrics, 0)}[
        "ProvisionRecordTimeAlarm"
    ]
    assert check.breached and check.samples == 1 and check.indicative and not check.fires


def test_the_verdict_fails_on_a_firing_alarm_unless_it_is_allowed() -> None:
    calls, metrics = healthy_run()
    checks = judge_alarms(DEFAULT_TEMPLATE, calls, metrics, dead_letters=0)
    fired = [c for c in checks if c.alarm == "DeadLetterQueueAlarm"]
    checks = judge_alarms(DEFAULT_TEMPLATE, calls, metrics, dead_letters=1)
    clean = Verification(accepted=1, completed=1, failed=0, emails=1, dead_letters=0)
    outcome = partial_outcome(clean, checks, allowed=())
    assert not outcome.ok and outcome.lossless
    assert [c.alarm for c in outcome.firing] == ["DeadLetterQueueAlarm"]
    assert outcome.problems[-1].startswith("alarm DeadLetterQueueAlarm would fire: 1 against 0")
    allowed = partial_outcome(clean, checks, allowed=("DeadLetterQueueAlarm",))
    assert allowed.ok and not allowed.problems
    assert fired and not fired[0].fires


def partial_outcome(verification: Verification, checks: list, allowed: tuple) -> DemoOutcome:
    """A DemoOutcome with only what the verdict reads (the priced figures are not involved)."""
    unused: Any = None
    return DemoOutcome(
        run_dir=Path("run"),
        drained=True,
        verification=verification,
        load=unused,
        measurement={},
        scenario=unused,
        estimates={},
        headline=unused,
        breakeven=unused,
        alarm_ms=1000.0,
        alarm_rows=[],
        invocations=pd.DataFrame(),
        alarm_checks=checks,
        allowed_alarms=allowed,
    )


def stuck_users(counts: list[float]) -> pd.DataFrame:
    """The sweeper's StuckUsers, one sweep per 5-minute period (as rate(5 minutes) runs it)."""
    return pd.DataFrame(
        {
            "function": "sweeper",
            "start": [
                PERIOD_START + pd.Timedelta(minutes=5 * i, seconds=7) for i in range(len(counts))
            ],
            "namespace": NAMESPACE,
            "metric": "StuckUsers",
            "dimensions": '{"service": "onramp"}',
            "value": counts,
        }
    )


@pytest.mark.parametrize(
    ("counts", "state"),
    [
        ([0, 0, 0, 0], "ok"),
        ([2, 1, 0, 3, 0], "ok"),  # re-driven each time within two sweeps: never 15 minutes
        ([1, 1, 1], "FIRES"),  # three 5-minute periods in a row above 0: 15 minutes
        ([0, 4, 4, 4, 0], "FIRES"),
    ],
)
def test_the_stuck_users_alarm_fires_only_on_three_periods_in_a_row(counts, state) -> None:
    calls, metrics = healthy_run()
    metrics = pd.concat([metrics, stuck_users(counts)], ignore_index=True)
    checks = judge_alarms(DEFAULT_TEMPLATE, calls, metrics, dead_letters=0)
    [check] = [c for c in checks if c.alarm == "StuckUsersAlarm"]
    assert check.judged and check.state == state
    assert check.value == max(counts)


def test_a_missing_sweep_is_not_a_breaching_period() -> None:
    calls, metrics = healthy_run()
    swept = stuck_users([1, 1, 1, 1])
    swept = swept[swept.index != 1]  # no sweep in the second period (notBreaching)
    checks = judge_alarms(DEFAULT_TEMPLATE, calls, pd.concat([metrics, swept]), dead_letters=0)
    [check] = [c for c in checks if c.alarm == "StuckUsersAlarm"]
    assert check.state == "ok" and "fires on 3 of 3 in a row" in check.note
