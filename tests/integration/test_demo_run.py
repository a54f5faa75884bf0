"""A short `onramp demo` end to end: real embedded stack, real Locust, real cost model."""

import contextlib
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from costmodel.forecast.breakeven import breakeven
from costmodel.forecast.scenario import estimate, load_scenario
from costmodel.measurement import load_measurement
from loadtest.results import LoadResult
from onramp.alarms import INDICATIVE_BELOW
from onramp.cli import main

pytestmark = pytest.mark.integration
FIGURES = ("cost-by-service", "breakeven", "duration-ecdf", "load-over-time", "latency")


COST_THRESHOLDS = ["--max-fixed", "5", "--min-breakeven", "1k", "--max-per-1000", "100@10k"]
"""Thresholds the run passes with room (fixed $0.90; break-even near 29,000: README)."""


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    out = tmp_path_factory.mktemp("runs")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(
            ["demo", "--duration", "8s", "--rate", "8", "--out", str(out), *COST_THRESHOLDS]
        )
    (run_dir,) = out.iterdir()
    return code, run_dir, stdout.getvalue()


@pytest.fixture(scope="module")
def demo_run(demo_output: tuple[int, Path, str]) -> tuple[int, Path]:
    code, run_dir, _ = demo_output
    return code, run_dir


def test_demo_judges_the_cost_thresholds_on_its_run(demo_output: tuple[int, Path, str]) -> None:
    _, run_dir, stdout = demo_output
    check = stdout[stdout.index("cost check (") :]
    assert check.startswith(f"cost check (measured: run {run_dir.name}; free tier always-free")
    judged = [line.split()[0] for line in check.splitlines()[1:4]]
    assert judged == ["PASS", "PASS", "PASS"]
    assert "cost check ok: 3 of 3 thresholds passed" in check


def test_demo_passes_its_invariants(demo_run: tuple[int, Path]) -> None:
    code, run_dir = demo_run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert code == 0, summary["problems"]
    assert summary["ok"] and summary["verification"]["accepted"] > 20
    verification = summary["verification"]
    assert verification["completed"] + verification["failed"] == verification["accepted"]
    assert verification["emails"] == verification["completed"]
    assert verification["dead_letters"] == 0


def test_measurement_validates_and_prices_like_the_cost_model(
    demo_run: tuple[int, Path],
) -> None:
    _, run_dir = demo_run
    measurement = load_measurement(run_dir)
    assert measurement.source == "embedded"
    assert measurement.onboardings.lost == 0
    assert set(measurement.functions) >= {"register", "enrich", "provision"}
    summary = json.loads((run_dir / "summary.json").read_text())
    scenario = load_scenario(run_dir / "measurement.json", free_tier="always-free")
    for users, figures in summary["monthly"].items():
        assert Decimal(figures["total"]) == estimate(int(users), scenario).total
    assert summary["breakeven"] == breakeven(scenario).to_dict()


def test_report_has_every_plot_and_the_alarm_check(demo_run: tuple[int, Path]) -> None:
    _, run_dir = demo_run
    html = (run_dir / "report.html").read_text()
    for figure in FIGURES:
        assert f"<figure id='{figure}'><img alt='{figure}' src='data:image/png;base64," in html
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {row["function"]: row for row in summary["duration_alarm"]}
    assert set(rows) == {"register", "enrich", "provision"}
    for row in rows.values():
        assert row["margin_ms"] == pytest.approx(summary["duration_alarm_ms"] - row["p99_ms"])
    for name in ("locust_stats.csv", "locust.html", "locust.json", "manifest.json"):
        assert (run_dir / name).exists(), name


def test_report_reads_as_a_report(demo_run: tuple[int, Path]) -> None:
    _, run_dir = demo_run
    html = (run_dir / "report.html").read_text()
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
    for label in ("date", "duration", "rate", "machine", "git commit", "price catalog"):
        assert f"<tr><th>{label}</th><td>" in html, label
    assert "<tr><th>free-tier profile</th><td>always-free</td></tr>" in html
    assert f"<tr><th>shape priced</th><td>measured: run {run_dir.name}</td></tr>" in html
    assert "<a href='locust.html'>" in html and "notebooks/cost_projection.html" in html
    kinds = [name.partition("[")[2].rstrip("]") for name in LoadResult.load(run_dir).by_name]
    assert "valid" in kinds and all(f"<td>{kind}</td>" in html for kind in kinds)
    assert "E-7" not in html and "per million" in html  # unit prices read per million
    assert "<td class='num'>$" in html  # money right-aligned, as $
    rows = [line for line in (run_dir / "invocations.csv").read_text().splitlines()]
    assert rows[0].endswith(",batch_size")


def test_a_small_run_is_indicative_and_says_so(demo_run: tuple[int, Path]) -> None:
    """8 s at 8 a second: a few dozen stream invocations, so their p99s are indications."""
    _, run_dir = demo_run
    summary = json.loads((run_dir / "summary.json").read_text())
    alarms = {a["alarm"]: a for a in summary["alarms"]}
    assert summary["alarms_firing"] == []
    assert alarms["UsersTableWriteAnomalyAlarm"]["state"] == "not judged"
    enrich = alarms["EnrichDurationAlarm"]
    assert enrich["samples"] < INDICATIVE_BELOW and enrich["indicative"]
    assert f"{enrich['samples']} samples: indicative" in enrich["note"]
    assert {row["function"]: row["indicative"] for row in summary["duration_alarm"]}["enrich"]
    records = pd.read_csv(run_dir / "metrics.csv")
    per_record = records[records["metric"] == "RecordProcessingTime"]
    assert set(per_record["function"]) == {"enrich", "provision"}
    # The alarm judges clock-aligned 5-minute periods (a short run may straddle a boundary):
    # its samples are those of one period of enrich's per-record values.
    enrich_records = per_record[per_record["function"] == "enrich"]
    moments = pd.to_datetime(enrich_records["start"]).map(pd.Timestamp.timestamp)
    per_period = (moments // 300).value_counts()
    assert alarms["EnrichRecordTimeAlarm"]["samples"] in set(per_period)
    html = (run_dir / "report.html").read_text()
    assert "<p id='verdict' class='ok banner'>" in html


def test_an_injected_slow_step_fails_the_verdict_and_names_the_alarm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every user-space marker write (S3 PutObject) takes 1.5 s: each record of provision is
    over the 1 s record alarm, on more than 100 records, while nothing is lost. (Not the
    welcome email: provision sends one at a time, so 1.5 s each would take minutes to drain.)"""
    slow = "slow:function=provision,service=s3,operation=PutObject,ms=1500"
    flags = ["--duration", "15s", "--rate", "10", "--fault", slow, "--out", str(tmp_path)]
    flags += ["--drain-timeout", "300s"]
    code = main(["demo", *flags, "--allow-alarm", "ProvisionDurationAlarm"])
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert code == 1 and not summary["ok"] and summary["lossless"]
    assert "ProvisionRecordTimeAlarm" in summary["alarms_firing"]
    assert any("alarm ProvisionRecordTimeAlarm would fire" in p for p in summary["problems"])
    allowed = {a["alarm"]: a["allowed"] for a in summary["alarms"]}
    assert allowed["ProvisionDurationAlarm"] and not allowed["ProvisionRecordTimeAlarm"]
    captured = capsys.readouterr()
    assert "verdict: ALARM" in captured.out and "FIRES: ProvisionRecordTimeAlarm" in captured.out
    assert "ProvisionRecordTimeAlarm" in captured.err
    html = (run_dir / "report.html").read_text()
    top = html[: html.index("<h2>")]
    assert "class='bad banner'" in top and "ProvisionRecordTimeAlarm" in top


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--duration", "soon"], "--duration"),
        (["--rate", "0"], "--rate"),
        (["--region", "mars-1"], "--region"),
        (["--users-per-month", "-3"], "--users-per-month"),
        (["--template", "/no/such/template.yaml"], "cannot read template"),
        (["--allow-alarm", "NoSuchAlarm"], "--allow-alarm"),
        (["--fault", "slow:service=ses,operation=SendEmail"], "--fault"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(flags: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "onramp", "demo", *flags], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
