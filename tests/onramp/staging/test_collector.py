import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from costmodel.measurement import json_value, load_measurement, validation_errors, write_measurement
from kernel.errors import UsageError
from onramp import cli
from onramp.staging.collector import collect_measurement, measure_after_load
from onramp.staging.session import AwsSession
from onramp.staging.timewindow import Window, iso
from onramp.staging.window_cost import window_cost

from .logs_stubs import queue_report_query, report_row
from .staging_stack import STACK, DeployedStack, deploy, put_load_test_metrics


class StubbedLogs(AwsSession):
    """moto for every service but CloudWatch Logs, whose Insights answers are stubbed."""

    logs: Any = None

    def client(self, service: str, region: str | None = None) -> Any:
        if service == "logs":
            return self.logs
        return super().client(service, region)


@pytest.fixture
def staging(mocked_aws: AwsSession, recent_window: Window, moto_percentiles: None) -> DeployedStack:
    stack = deploy(mocked_aws)
    put_load_test_metrics(mocked_aws, stack, recent_window.start + timedelta(minutes=2))
    return stack


def test_measurement_from_cloudwatch_and_report_lines(
    mocked_aws: AwsSession, staging: DeployedStack, recent_window: Window, tmp_path: Path
) -> None:
    aws = StubbedLogs(mocked_aws.session, mocked_aws.region)
    aws.logs = mocked_aws.session.client("logs", region_name="us-east-1")
    keys = ("enrich", "provision", "register")
    groups = {key: f"/aws/lambda/{staging.function(key)}" for key in keys}
    rows = [
        report_row(
            groups["register"],
            billed_ms="3100",
            init_ms="400",
            cold_starts="2",
            max_memory_mb="90.5",
            reports="100",
        ),
        report_row(groups["enrich"], billed_ms="2700", cold_starts="0", reports="90"),
    ]
    with Stubber(aws.logs) as stub:
        queue_report_query(stub, list(groups.values()), rows)
        measurement = collect_measurement(aws, STACK, recent_window, "run-1", sleep=lambda s: None)

    assert validation_errors(measurement.to_dict()) == []
    assert measurement.source == "cloudwatch"
    assert measurement.window.start == iso(recent_window.start)
    assert json_value(measurement.onboardings) == {
        "accepted": 90,
        "completed": 85,
        "failed": 3,
        "rejected": 10,
        "lost": 2,
    }
    register = measurement.functions["register"]
    assert [register.memory_mb, register.architecture, register.timeout_s] == [256, "x86_64", 10]
    assert register.invocations == 100
    assert register.billed_ms_total == 3100.0
    assert (register.cold_starts, register.init_ms_total) == (2, 400.0)
    assert register.max_memory_used_mb == 90.5
    assert json_value(register.duration_ms) == {
        "mean": 310.0,
        "p50": 20.0,
        "p95": 900.0,
        "p99": 900.0,
        "max": 900.0,
    }
    assert register.log_bytes == 100_000
    provision = measurement.functions["provision"]
    assert provision.errors == 2
    assert provision.billed_ms_total == 930.0  # no REPORT line: the Duration sum
    assert any("provision: no REPORT line" in note for note in measurement.notes or ())
    assert measurement.api.status_counts == {"2xx": 90, "4xx": 10, "5xx": 0}
    assert measurement.api.latency_ms and measurement.api.latency_ms.p50 == 30.0
    assert measurement.dynamodb["users"].write_request_units == 270
    assert measurement.dynamodb["audit"].write_request_units == 265
    assert measurement.ses.recipients == 85
    assert measurement.sqs.dead_letters == 2
    assert measurement.logs.bytes_ingested == 277_000
    per_onboarding = measurement.to_dict()["per_onboarding"]
    assert per_onboarding["write_request_units"] == pytest.approx(535 / 90)

    # priced end to end with the cost model, on the repository's template
    path = write_measurement(measurement, tmp_path / "measurement.json")
    cost = window_cost(path)
    cents = Decimal("0.01")
    assert all(v == v.quantize(cents) for v in cost.by_service.values())
    assert cost.by_service["lambda"] >= 0
    assert cost.total == sum(cost.by_service.values())
    assert cost.total > 0


def test_cli_measure_writes_a_new_run(staging: DeployedStack, tmp_path: Path, capsys) -> None:
    args = ["measure", "--stack", STACK, "--start", "-12m", "--end", "-1m", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    runs = sorted(tmp_path.iterdir())
    assert len(runs) == 2  # never overwritten
    measurement = json.loads((runs[0] / "measurement.json").read_text())
    assert measurement["run_id"] == runs[0].name
    assert measurement["onboardings"]["accepted"] == 90
    out, err = capsys.readouterr()
    assert "register" in out and "measurement:" in out
    assert "no REPORT line" in err  # moto has no log group: said plainly


def test_wrong_stack_and_empty_window_exit_2(
    staging: DeployedStack, tmp_path: Path, capsys
) -> None:
    out = ["--out", str(tmp_path)]
    assert cli.main(["measure", "--stack", "nope", "--start", "-1h", *out]) == 2
    assert capsys.readouterr().err.strip() == (
        "onramp: error: stack nope not found in region us-east-1"
    )
    assert cli.main(["measure", "--stack", STACK, "--start", "-3h", "--end", "-2h", *out]) == 2
    assert "no data for stack onramp-staging" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_no_credentials_exit_2(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert cli.main(["measure", "--stack", STACK, "--start", "-1h"]) == 2
    assert capsys.readouterr().err.startswith("onramp: error: no AWS credentials found")


def test_usage_error_is_raised_not_printed_by_the_library(
    mocked_aws: AwsSession, recent_window: Window
) -> None:
    with pytest.raises(UsageError, match="stack ghost not found"):
        collect_measurement(mocked_aws, "ghost", recent_window, "r")


def test_measure_after_load_writes_and_prices(
    staging: DeployedStack, tmp_path: Path, capsys
) -> None:
    path, cost = measure_after_load(STACK, "-12m", "-1m", "us-east-1", None, tmp_path)
    assert path == tmp_path / "measurement.json"
    assert load_measurement(path).run_id == tmp_path.name
    assert cost.total == sum(cost.by_service.values()) > 0
    out = capsys.readouterr().out
    assert f"total        ${cost.total}" in out and str(path) in out
