import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from moto.ce.models import ce_backends
from moto.core import DEFAULT_ACCOUNT_ID

from costmodel.measurement import Measurement, write_measurement
from onramp import cli
from onramp.staging.costexplorer import day_range, fetch_actuals
from onramp.staging.session import AwsSession
from onramp.staging.timewindow import Window


def _group(service: str, amount: str) -> dict:
    return {"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}


def _day(day: str, next_day: str, *groups: dict, estimated: bool = False) -> dict:
    return {
        "TimePeriod": {"Start": day, "End": next_day},
        "Total": {},
        "Groups": list(groups),
        "Estimated": estimated,
    }


def _seed(*results: dict) -> None:
    """moto answers GetCostAndUsage requests from this queue, in order."""
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
        json={"results": list(results)},
        timeout=5,
    )
    assert response.status_code == 201


PAGE_1 = {
    "ResultsByTime": [
        _day("2026-11-28", "2026-11-29", _group("AWS Lambda", "0.0112"), _group("Tax", "0.001"))
    ],
    "NextPageToken": "next",
}
PAGE_2 = {
    "ResultsByTime": [
        _day(
            "2026-11-29",
            "2026-11-30",
            _group("AWS Lambda", "0.0049"),
            _group("Amazon DynamoDB", "0.0004"),
            estimated=True,
        )
    ],
}


def test_actuals_paginated_summed_per_service(mocked_aws: AwsSession) -> None:
    _seed(PAGE_1, PAGE_2)
    ce = mocked_aws.client("ce")
    actuals = fetch_actuals(
        ce, (date(2026, 11, 28), date(2026, 11, 30)), "DAILY", ("onramp:stack", "onramp-staging")
    )
    assert actuals.by_service == {
        "AWS Lambda": Decimal("0.02"),
        "Amazon DynamoDB": Decimal("0.00"),
        "Tax": Decimal("0.00"),
    }
    assert (actuals.requests, actuals.estimated) == (2, True)
    backend = ce_backends[DEFAULT_ACCOUNT_ID]["global"]
    asked = [json.loads(body) for body in backend.cost_usage_results]
    assert asked[0]["Filter"] == {
        "Tags": {"Key": "onramp:stack", "Values": ["onramp-staging"], "MatchOptions": ["EQUALS"]}
    }
    assert asked[0]["GroupBy"] == [{"Type": "DIMENSION", "Key": "SERVICE"}]
    assert asked[1]["NextPageToken"] == "next"


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-11-28T00:00:00", "2026-11-30T00:00:00", ("2026-11-28", "2026-11-30")),
        ("2026-11-28T10:00:00", "2026-11-28T11:00:00", ("2026-11-28", "2026-11-29")),
        ("2026-11-28T23:00:00", "2026-11-29T01:00:00", ("2026-11-28", "2026-11-30")),
    ],
)
def test_day_range_covers_the_window(start: str, end: str, days: tuple[str, str]) -> None:
    window = Window(
        datetime.fromisoformat(start).replace(tzinfo=UTC),
        datetime.fromisoformat(end).replace(tzinfo=UTC),
    )
    assert tuple(d.isoformat() for d in day_range(window)) == days


def _measurement(tmp_path: Path) -> Path:
    fn = {
        "memory_mb": 256,
        "architecture": "arm64",
        "invocations": 1000,
        "errors": 0,
        "duration_ms": {"p50": 10.0, "p95": 20.0, "p99": 30.0, "max": 40.0},
        "billed_ms_total": 20000,
        "init_ms_total": 0,
        "cold_starts": 0,
        "log_bytes": 600000,
    }
    totals = {
        "schema_version": 1,
        "source": "cloudwatch",
        "run_id": "r1",
        "region": "us-east-1",
        "window": {
            "start": "2026-11-29T00:00:00Z",
            "end": "2026-11-30T00:00:00Z",
            "seconds": 86400,
        },
        "onboardings": {"accepted": 1000, "completed": 1000, "failed": 0, "rejected": 0, "lost": 0},
        "api": {
            "type": "http",
            "requests": 1000,
            "metered_requests": 1000,
            "request_bytes_total": 400000,
        },
        "functions": {"register": fn, "enrich": fn, "provision": fn},
        "dynamodb": {
            "users": {"write_request_units": 3000, "read_request_units": 0},
            "audit": {"write_request_units": 3000, "read_request_units": 0},
        },
        "s3": {"put_requests": 1000, "get_requests": 1000},
        "cognito": {"users_created": 1000},
        "ses": {"messages": 1000, "recipients": 1000},
        "sqs": {"requests": 0},
        "logs": {"bytes_ingested": 1800000},
    }
    return write_measurement(Measurement.from_dict(totals), tmp_path / "measurement.json")


def test_cli_actuals_compares_with_the_model(
    mocked_aws: AwsSession, tmp_path: Path, capsys
) -> None:
    _seed(
        {
            "ResultsByTime": [
                _day(
                    "2026-11-29",
                    "2026-11-30",
                    _group("AWS Lambda", "0.25"),
                    _group("Amazon Simple Email Service", "0.10"),
                )
            ]
        }
    )
    args = [
        "cost",
        "actuals",
        "--start",
        "2026-11-29T00:00:00Z",
        "--end",
        "2026-11-30T00:00:00Z",
        "--tag-value",
        "onramp-staging",
        "--measurement",
        str(_measurement(tmp_path)),
        "--json",
    ]
    assert cli.main(args) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["service"]: row for row in report["rows"]}
    assert rows["Amazon Simple Email Service"]["modelled_usd"] == "0.10"
    assert rows["Amazon Simple Email Service"]["label"] == "on model"
    assert rows["AWS Lambda"]["actual_usd"] == "0.25"
    assert rows["Amazon API Gateway"]["actual_usd"] == "0.00"
    assert rows["Amazon API Gateway"]["label"] == "on model"  # 1000 requests: $0.001
    assert rows["AmazonCloudWatch"]["actual_usd"] == "0.00"
    assert rows["AmazonCloudWatch"]["label"] == "favourable"
    assert rows["TOTAL"]["actual_usd"] == "0.35"
    assert any("1 request(s) = $0.01" in note for note in report["notes"])


def test_cli_actuals_bad_flags_exit_2(mocked_aws: AwsSession, capsys) -> None:
    base = ["cost", "actuals", "--start", "-1d"]
    assert cli.main([*base, "--stack", "s", "--measurement", "m.json"]) == 2
    assert "--measurement and --stack" in capsys.readouterr().err
    assert cli.main([*base, "--measurement", "missing.json", "--tag-value", "x"]) == 2
    assert "cannot read measurement missing.json" in capsys.readouterr().err
