"""onramp.reports.load_analysis: run files parsed, durations summarised, changes priced."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from costmodel.forecast.scenario import load_scenario
from costmodel.measurement import load_measurement
from kernel.errors import UsageError
from onramp.reports.load_analysis import (
    duration_alarm_ms,
    duration_ecdfs,
    duration_summary,
    locust_history,
    per_onboarding_table,
    read_invocations,
    what_to_change,
    with_functions,
)
from onramp.reports.notebooks import SAMPLE_RUN

HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
    "99.9%,99.99%,100%,Total Request Count,Total Failure Count\n"
)


def _invocations(durations: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"function": name, "duration_ms": ms, "outcome": "ok" if ms < 2000 else "timeout"}
        for name, values in durations.items()
        for ms in values
    ]
    return pd.DataFrame(rows)


def test_read_invocations_parses_times_and_sorts(tmp_path) -> None:
    (tmp_path / "invocations.csv").write_text(
        "function,start,duration_ms,billed_ms,outcome\n"
        "enrich,2026-11-29T07:41:19.500+00:00,40.5,41,ok\n"
        "register,2026-11-29T07:41:18.026+00:00,9.2,10,ok\n",
        encoding="utf-8",
    )
    frame = read_invocations(tmp_path)
    assert list(frame["function"]) == ["register", "enrich"]
    assert str(frame["start"].dt.tz) == "UTC"
    assert frame["duration_ms"].sum() == pytest.approx(49.7)


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "no such file"),
        ("function,start,billed_ms,outcome\nregister,2026-11-29T07:41:18Z,10,ok\n", "duration_ms"),
        ("function,start,duration_ms,billed_ms,outcome\nregister,yesterday,9,10,ok\n", "start"),
    ],
)
def test_bad_invocation_files_name_the_problem(tmp_path, content, message) -> None:
    if content is not None:
        (tmp_path / "invocations.csv").write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as caught:
        read_invocations(tmp_path)
    assert "invocations.csv" in str(caught.value)


def test_locust_history_keeps_the_aggregate_and_blanks_na(tmp_path) -> None:
    (tmp_path / "locust_stats_history.csv").write_text(
        HISTORY_HEADER
        + "1000,0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0\n"
        + "1001,10,POST,POST /register,4,0,20,0,0,0,0,30,0,90,0,0,0,4,0\n"
        + "1001,10,,Aggregated,5,1,20,0,0,0,0,40,0,95,0,0,0,5,1\n"
        + "1003,20,,Aggregated,9.5,0,25,0,0,0,0,45,0,99,0,0,0,15,1\n",
        encoding="utf-8",
    )
    history = locust_history(tmp_path)
    assert list(history["elapsed_s"]) == [0, 1, 3]
    assert list(history["users"]) == [0, 10, 20]
    assert list(history["requests_per_s"]) == [0, 5, 9.5]
    assert np.isnan(history["p99_ms"][0])
    assert list(history["p99_ms"][1:]) == [95, 99]


def test_duration_summary_applies_the_alarm_rule() -> None:
    frame = _invocations({"fast": [10.0] * 99 + [50.0], "slow": [900.0] * 90 + [2500.0] * 10})
    rows = {row["function"]: row for row in duration_summary(frame, alarm_ms=1000)}
    assert rows["fast"]["invocations"] == 100
    assert rows["fast"]["max_ms"] == 50.0
    assert rows["fast"]["over_alarm"] == 0
    assert not rows["fast"]["alarm_breached"]
    assert rows["slow"]["over_alarm"] == 10
    assert rows["slow"]["errors"] == 10
    assert rows["slow"]["p99_ms"] == 2500.0
    assert rows["slow"]["alarm_breached"]


def test_duration_ecdfs_are_sorted_and_end_at_one() -> None:
    frame = _invocations({"a": [30.0, 10.0, 20.0, 40.0], "b": [5.0]})
    ecdfs = {ecdf.function: ecdf for ecdf in duration_ecdfs(frame)}
    assert list(ecdfs["a"].durations_ms) == [10, 20, 30, 40]
    assert list(ecdfs["a"].share) == [0.25, 0.5, 0.75, 1.0]
    assert ecdfs["a"].p99_ms == pytest.approx(np.percentile([10, 20, 30, 40], 99))
    assert ecdfs["b"].share[-1] == 1.0


def test_duration_alarm_threshold_comes_from_the_template(tmp_path) -> None:
    assert duration_alarm_ms() == 1000.0
    template = tmp_path / "template.yaml"
    template.write_text("Resources: {}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no AWS/Lambda Duration alarm"):
        duration_alarm_ms(template)


def test_per_onboarding_table_reads_the_measurement() -> None:
    measurement = load_measurement(SAMPLE_RUN)
    rows = {row["figure"]: row["per_onboarding"] for row in per_onboarding_table(measurement)}
    per = json.loads((Path(SAMPLE_RUN) / "measurement.json").read_text())["per_onboarding"]
    assert rows["register invocations"] == round(per["invocations"]["register"], 4)
    assert rows["DynamoDB write units"] == round(per["write_request_units"], 4)
    assert rows["log bytes"] == round(per["log_bytes"], 4)


def test_what_to_change_prices_each_change_against_the_template() -> None:
    scenario = load_scenario(SAMPLE_RUN, free_tier="none")
    users = 1_000_000
    rows = {row["change"]: row for row in what_to_change(scenario, users)}
    base = scenario.bill(users).total
    assert rows["as deployed"]["monthly_usd"] == base
    assert rows["as deployed"]["saving_usd"] == Decimal("0.00")
    x86 = with_functions(scenario, architecture="x86_64").bill(users).total
    assert rows["every function on x86_64"]["monthly_usd"] == x86
    assert rows["every function on arm64"]["monthly_usd"] < x86
    for row in rows.values():
        assert row["saving_usd"] == base - row["monthly_usd"]
        assert row["per_1000_usd"] == (row["monthly_usd"] * 1000 / users).quantize(Decimal("0.01"))
    assert rows["log volume -50%"]["saving_usd"] > 0
    assert rows["memory 128 MB"]["saving_usd"] > 0
