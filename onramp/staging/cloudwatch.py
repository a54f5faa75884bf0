"""CloudWatch GetMetricData for the stack's resources over one window.

One period spans the whole window, so each query returns one datapoint and a percentile
is the window's own percentile (not a mean of per-minute percentiles). Queries go 500 to a
call, pages follow NextToken, throttling is retried with backoff.

Example::

    specs = lambda_metrics("register", "onramp-staging-RegisterFunction-X")
    results = fetch_metrics(aws.client("cloudwatch"), specs, window)
    results.total("register", "invocations")        # 1120.0, or None without datapoints
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from onramp.staging.backoff import call_with_backoff
from onramp.staging.timewindow import Window

MAX_QUERIES_PER_CALL = 500
PERCENTILES = ("p50", "p95", "p99")


@dataclass(frozen=True)
class MetricSpec:
    """One metric statistic to read, named by ``owner`` (e.g. ``register``) and ``name``."""

    owner: str
    name: str
    namespace: str
    metric: str
    stat: str
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """``AWS/Lambda Duration p99 FunctionName=x`` (for notes about missing data)."""
        dims = " ".join(f"{k}={v}" for k, v in self.dimensions)
        return f"{self.namespace} {self.metric} {self.stat} {dims}".strip()

    def query(self, query_id: str, period: int) -> dict[str, Any]:
        """The GetMetricData query for this statistic."""
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
                },
                "Period": period,
                "Stat": self.stat,
            },
            "ReturnData": True,
        }


@dataclass
class MetricResults:
    """Datapoints per (owner, name); empty list when CloudWatch had none in the window."""

    specs: list[MetricSpec]
    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def total(self, owner: str, name: str) -> float | None:
        """Sum of the datapoints (for Sum statistics), None without datapoints."""
        points = self.values.get((owner, name), [])
        return sum(points) if points else None

    def peak(self, owner: str, name: str) -> float | None:
        """Largest datapoint (Maximum, percentiles), None without datapoints."""
        points = self.values.get((owner, name), [])
        return max(points) if points else None

    def count(self, owner: str, name: str) -> int:
        """A Sum statistic as an integer count (0 without datapoints)."""
        return round(self.total(owner, name) or 0)

    def missing(self) -> list[MetricSpec]:
        """The statistics that returned no datapoint."""
        return [s for s in self.specs if not self.values.get((s.owner, s.name))]


def lambda_metrics(key: str, function_name: str) -> list[MetricSpec]:
    """Invocations, Errors, Throttles (Sum); Duration mean/sum/p50/p95/p99/max."""
    dims = (("FunctionName", function_name),)
    specs = [
        MetricSpec(key, name, "AWS/Lambda", metric, "Sum", dims)
        for name, metric in (
            ("invocations", "Invocations"),
            ("errors", "Errors"),
            ("throttles", "Throttles"),
            ("duration_sum", "Duration"),
        )
    ]
    return specs + _distribution(key, "duration", "AWS/Lambda", "Duration", dims)


def api_metrics(api_id: str) -> list[MetricSpec]:
    """HTTP API (ApiId dimension): Count, 4xx, 5xx, DataProcessed; Latency distribution."""
    dims = (("ApiId", api_id),)
    specs = [
        MetricSpec("api", name, "AWS/ApiGateway", metric, "Sum", dims)
        for name, metric in (
            ("count", "Count"),
            ("4xx", "4xx"),
            ("5xx", "5xx"),
            ("data_processed", "DataProcessed"),
        )
    ]
    return specs + _distribution("api", "latency", "AWS/ApiGateway", "Latency", dims)


def table_metrics(key: str, table_name: str) -> list[MetricSpec]:
    """DynamoDB consumed write and read capacity units (Sum) of one table."""
    dims = (("TableName", table_name),)
    return [
        MetricSpec(key, "write_units", "AWS/DynamoDB", "ConsumedWriteCapacityUnits", "Sum", dims),
        MetricSpec(key, "read_units", "AWS/DynamoDB", "ConsumedReadCapacityUnits", "Sum", dims),
    ]


def queue_metrics(queue_name: str) -> list[MetricSpec]:
    """The dead-letter queue: messages sent/received/deleted, empty receives, backlog."""
    dims = (("QueueName", queue_name),)
    specs = [
        MetricSpec("dlq", name, "AWS/SQS", metric, "Sum", dims)
        for name, metric in (
            ("sent", "NumberOfMessagesSent"),
            ("received", "NumberOfMessagesReceived"),
            ("deleted", "NumberOfMessagesDeleted"),
            ("empty_receives", "NumberOfEmptyReceives"),
        )
    ]
    visible = "ApproximateNumberOfMessagesVisible"
    return [*specs, MetricSpec("dlq", "visible", "AWS/SQS", visible, "Maximum", dims)]


def onboarding_metrics(namespace: str = "Onramp") -> list[MetricSpec]:
    """The Lambda code's EMF counts (dimension ``service=onramp``): new users registered and
    users provisioned. Not the API's 2xx nor SES's sends: a retry and a registered address
    are answered 202 too, and a registered address gets a notice email."""
    dims = (("service", "onramp"),)
    return [
        MetricSpec("onboardings", "registrations", namespace, "Registrations", "Sum", dims),
        MetricSpec("onboardings", "provisions", namespace, "Provisions", "Sum", dims),
    ]


def ses_metrics() -> list[MetricSpec]:
    """SES sends (account- and region-wide: SES publishes no per-stack dimension)."""
    return [MetricSpec("ses", "send", "AWS/SES", "Send", "Sum")]


def bucket_metrics(bucket_name: str) -> list[MetricSpec]:
    """S3 request metrics (present only if the bucket has an EntireBucket metrics filter)."""
    dims = (("BucketName", bucket_name), ("FilterId", "EntireBucket"))
    return [
        MetricSpec("s3", "put", "AWS/S3", "PutRequests", "Sum", dims),
        MetricSpec("s3", "get", "AWS/S3", "GetRequests", "Sum", dims),
        MetricSpec("s3", "list", "AWS/S3", "ListRequests", "Sum", dims),
    ]


def log_group_metrics(key: str, log_group: str) -> list[MetricSpec]:
    """Bytes ingested into one log group (AWS/Logs IncomingBytes)."""
    dims = (("LogGroupName", log_group),)
    return [MetricSpec(key, "log_bytes", "AWS/Logs", "IncomingBytes", "Sum", dims)]


def metric_period(window: Window, now: datetime | None = None) -> tuple[Window, int]:
    """The window widened to CloudWatch's grain for its age, and one period covering it.

    Data younger than 15 days is kept per minute, up to 63 days per 5 minutes, then hourly.
    """
    age = (now or datetime.now(UTC)) - window.start
    grain = 60 if age <= timedelta(days=15) else 300 if age <= timedelta(days=63) else 3600
    start_s = math.floor(window.start.timestamp() / grain) * grain
    end_s = math.ceil(window.end.timestamp() / grain) * grain
    aligned = Window(datetime.fromtimestamp(start_s, UTC), datetime.fromtimestamp(end_s, UTC))
    return aligned, end_s - start_s


def fetch_metrics(
    cloudwatch: Any,
    specs: Sequence[MetricSpec],
    window: Window,
    sleep: Callable[[float], None] = time.sleep,
) -> MetricResults:
    """Read every statistic for ``window`` (already aligned by :func:`metric_period`)."""
    period = round(window.seconds)
    results = MetricResults(specs=list(specs))
    ids = {f"m{i}": spec for i, spec in enumerate(specs)}
    for batch in _batches(list(ids), MAX_QUERIES_PER_CALL):
        queries = [ids[query_id].query(query_id, period) for query_id in batch]
        for page in _pages(cloudwatch, queries, window, sleep):
            for result in page.get("MetricDataResults", []):
                spec = ids[result["Id"]]
                points = results.values.setdefault((spec.owner, spec.name), [])
                points.extend(float(v) for v in result.get("Values", []))
                if result.get("StatusCode") not in (None, "Complete", "PartialData"):
                    results.messages.append(f"{spec.label}: {result['StatusCode']}")
            for message in page.get("Messages", []):
                results.messages.append(f"GetMetricData: {message.get('Value', message)}")
    return results


def _distribution(
    owner: str, prefix: str, namespace: str, metric: str, dims: tuple[tuple[str, str], ...]
) -> list[MetricSpec]:
    stats = [("mean", "Average"), *((p, p) for p in PERCENTILES), ("max", "Maximum")]
    return [
        MetricSpec(owner, f"{prefix}_{name}", namespace, metric, stat, dims) for name, stat in stats
    ]


def _pages(
    cloudwatch: Any,
    queries: list[dict[str, Any]],
    window: Window,
    sleep: Callable[[float], None],
) -> Iterable[dict[str, Any]]:
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        page = call_with_backoff(
            cloudwatch.get_metric_data,
            sleep=sleep,
            MetricDataQueries=queries,
            StartTime=window.start,
            EndTime=window.end,
            ScanBy="TimestampAscending",
            **extra,
        )
        yield page
        token = page.get("NextToken")
        if not token:
            return


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
