from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from onramp.staging import cloudwatch as cw
from onramp.staging.session import AwsSession
from onramp.staging.timewindow import Window

FN = "onramp-staging-RegisterFunction-ABC"


def _put(client, metric: str, values: list[float], when: datetime, unit: str = "None") -> None:
    client.put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": FN}],
                "Value": value,
                "Unit": unit,
                "Timestamp": when + timedelta(seconds=i),
            }
            for i, value in enumerate(values)
        ],
    )


def test_lambda_metrics_put_then_get(
    mocked_aws: AwsSession, recent_window: Window, moto_percentiles: None
) -> None:
    client = mocked_aws.client("cloudwatch")
    inside = recent_window.start + timedelta(minutes=3)
    durations = [float(v) for v in range(1, 101)]  # 1..100 ms
    _put(client, "Invocations", [1.0] * 100, inside, "Count")
    _put(client, "Errors", [1.0, 1.0], inside, "Count")
    _put(client, "Duration", durations, inside, "Milliseconds")
    _put(client, "Invocations", [1.0] * 7, recent_window.end + timedelta(minutes=1), "Count")

    window, period = cw.metric_period(recent_window)
    assert period == 600
    results = cw.fetch_metrics(client, cw.lambda_metrics("register", FN), window)

    assert results.count("register", "invocations") == 100  # the later 7 are outside
    assert results.count("register", "errors") == 2
    assert results.total("register", "duration_sum") == sum(durations)
    assert results.peak("register", "duration_max") == 100.0
    assert results.peak("register", "duration_mean") == pytest.approx(50.5)
    assert results.peak("register", "duration_p50") == 50.0
    assert results.peak("register", "duration_p95") == 95.0
    assert results.peak("register", "duration_p99") == 99.0
    assert [s.name for s in results.missing()] == ["throttles"]
    assert results.total("register", "throttles") is None
    assert results.count("register", "throttles") == 0


def test_metric_period_widens_to_the_grain_for_the_data_age() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    fresh = Window(datetime(2026, 11, 29, 10, 0, 30, tzinfo=UTC), now - timedelta(seconds=1))
    assert cw.metric_period(fresh, now) == (Window(fresh.start.replace(second=0), now), 7200)
    old_start = datetime(2026, 10, 1, 10, 2, tzinfo=UTC)
    old = Window(old_start, old_start + timedelta(minutes=7))
    aligned, period = cw.metric_period(old, now)
    assert (aligned.start.minute, aligned.end.minute, period) == (0, 10, 600)
    ancient = Window(datetime(2026, 1, 1, 10, 20, tzinfo=UTC), datetime(2026, 1, 1, 10, 40))
    assert cw.metric_period(ancient, now)[1] == 3600


def test_batches_of_500_pages_and_throttling() -> None:
    client = boto3.client("cloudwatch", region_name="us-east-1")
    specs = [
        cw.MetricSpec(f"fn{i}", "invocations", "AWS/Lambda", "Invocations", "Sum")
        for i in range(501)
    ]
    window = Window(datetime(2026, 11, 29, 10, tzinfo=UTC), datetime(2026, 11, 29, 11, tzinfo=UTC))
    sleeps: list[float] = []
    calls: list[tuple[int, str | None]] = []

    def record(params: dict, **_: object) -> None:
        calls.append((len(params["MetricDataQueries"]), params.get("NextToken")))

    client.meta.events.register("provide-client-params.cloudwatch.GetMetricData", record)
    with Stubber(client) as stub:
        stub.add_client_error("get_metric_data", "Throttling", "Rate exceeded", 400)
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [{"Id": "m0", "Values": [3.0], "StatusCode": "PartialData"}],
                "NextToken": "page-2",
            },
        )
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [{"Id": "m0", "Values": [4.0], "StatusCode": "Complete"}],
                "Messages": [{"Code": "MaxQueriesExceeded", "Value": "just a test"}],
            },
        )
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [{"Id": "m500", "Values": [1.0], "StatusCode": "Complete"}]},
        )
        results = cw.fetch_metrics(client, specs, window, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert len(sleeps) == 1
    assert calls == [(500, None), (500, None), (500, "page-2"), (1, None)]
    assert results.count("fn0", "invocations") == 7
    assert results.count("fn500", "invocations") == 1
    assert results.messages == ["GetMetricData: just a test"]
    assert len(results.missing()) == 499
