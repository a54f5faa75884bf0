"""Assemble a measurement.json (source ``cloudwatch``) for a deployed stack and a window.

The stack's resources come from CloudFormation, the figures from CloudWatch metrics and
from the functions' REPORT lines (Logs Insights). What CloudWatch cannot tell is derived
and said so in the measurement's ``notes`` (also printed on stderr).

Example::

    aws = AwsSession.open("eu-west-1", profile=None)
    measurement = collect_measurement(aws, "onramp-staging", window, run_id="20261129T...")
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from costmodel.measurement import (
    ApiUsage,
    CognitoUsage,
    FunctionUsage,
    LogUsage,
    Measurement,
    Onboardings,
    Percentiles,
    S3Usage,
    SesUsage,
    SqsUsage,
    TableUsage,
    write_measurement,
)
from kernel.errors import UsageError
from kernel.rundir import new_run_dir
from onramp.staging import cloudwatch as cw
from onramp.staging.logs_insights import ReportUsage, report_usage
from onramp.staging.outputs import Stack, describe_stack
from onramp.staging.session import AwsSession, aws_errors
from onramp.staging.summary import measurement_summary, window_cost_summary
from onramp.staging.timewindow import Window, iso, parse_window
from onramp.staging.window_cost import WindowCost, window_cost


@dataclass(frozen=True)
class DeployedFunction:
    """One Lambda function of the stack, as deployed."""

    key: str
    name: str
    memory_mb: int
    architecture: str
    timeout_s: int
    log_group: str


def collect_measurement(
    aws: AwsSession,
    stack_name: str,
    window: Window,
    run_id: str,
    sleep: Callable[[float], None] = time.sleep,
) -> Measurement:
    """The measurement of ``stack_name`` over ``window`` (widened to whole minutes)."""
    stack = describe_stack(aws.client("cloudformation"), stack_name, aws.region)
    functions = deployed_functions(aws.client("lambda"), stack)
    if not functions:
        raise UsageError(f"stack {stack_name} in {aws.region} has no Lambda function")
    window, _ = cw.metric_period(window)
    metrics = cw.fetch_metrics(
        aws.client("cloudwatch"), metric_plan(stack, functions), window, sleep
    )
    reports = report_usage(
        aws.client("logs"), {f.key: f.log_group for f in functions}, window, sleep=sleep
    )
    notes = [f"GetMetricData: {message}" for message in metrics.messages]
    return _measurement(stack, functions, metrics, reports, window, notes, run_id)


def deployed_functions(lambda_client: Any, stack: Stack) -> list[DeployedFunction]:
    """Every AWS::Lambda::Function of the stack with its deployed configuration."""
    functions = []
    for logical_id, resource in sorted(stack.of_type("AWS::Lambda::Function").items()):
        config = lambda_client.get_function_configuration(FunctionName=resource.physical_id)
        log_group = (config.get("LoggingConfig") or {}).get("LogGroup")
        functions.append(
            DeployedFunction(
                key=logical_id.removesuffix("Function").lower(),
                name=resource.physical_id,
                memory_mb=int(config["MemorySize"]),
                architecture=(config.get("Architectures") or ["x86_64"])[0],
                timeout_s=int(config.get("Timeout", 3)),
                log_group=log_group or f"/aws/lambda/{resource.physical_id}",
            )
        )
    return functions


def metric_plan(stack: Stack, functions: list[DeployedFunction]) -> list[cw.MetricSpec]:
    """Every CloudWatch statistic the measurement needs for this stack's resources."""
    specs: list[cw.MetricSpec] = []
    for fn in functions:
        specs += cw.lambda_metrics(fn.key, fn.name)
        specs += cw.log_group_metrics(fn.key, fn.log_group)
    specs += cw.api_metrics(http_api_id(stack))
    for logical_id, table in stack.of_type("AWS::DynamoDB::Table").items():
        specs += cw.table_metrics(_table_key(logical_id), table.physical_id)
    for queue in stack.of_type("AWS::SQS::Queue").values():
        specs += cw.queue_metrics(queue.physical_id.rstrip("/").rsplit("/", 1)[-1])
    for bucket in stack.of_type("AWS::S3::Bucket").values():
        specs += cw.bucket_metrics(bucket.physical_id)
    return specs + cw.onboarding_metrics() + cw.ses_metrics()


def http_api_id(stack: Stack) -> str:
    """The HTTP API's id: its AWS::ApiGatewayV2::Api resource, else the ApiUrl output's host."""
    apis = stack.of_type("AWS::ApiGatewayV2::Api")
    if apis:
        return next(iter(apis.values())).physical_id
    host = urlparse(stack.output("ApiUrl")).hostname or ""
    return host.split(".", 1)[0]


def _table_key(logical_id: str) -> str:
    return logical_id.removesuffix("Table").lower()


def _measurement(
    stack: Stack,
    functions: list[DeployedFunction],
    metrics: cw.MetricResults,
    reports: dict[str, ReportUsage],
    window: Window,
    notes: list[str],
    run_id: str,
) -> Measurement:
    requests = metrics.count("api", "count")
    invocations = sum(metrics.count(fn.key, "invocations") for fn in functions)
    if requests == 0 and invocations == 0:
        raise UsageError(
            f"no data for stack {stack.name} in {stack.region} between {iso(window.start)}"
            f" and {iso(window.end)}: no API request and no Lambda invocation"
        )
    missing = [f"{s.owner} {s.name}" for s in metrics.missing()]
    if missing:
        notes.append("no CloudWatch datapoints (counted as 0 or null): " + ", ".join(missing))
    function_blocks = {
        fn.key: _function(fn, metrics, reports.get(fn.key), notes) for fn in functions
    }
    api, onboardings = _api_and_onboardings(metrics, notes)
    if onboardings.accepted == 0:
        raise UsageError(
            f"stack {stack.name}: no accepted onboarding (Registrations metric) between"
            f" {iso(window.start)} and {iso(window.end)}, so no per-onboarding figures"
        )
    emails = metrics.count("ses", "send")
    for note in notes:
        print(f"onramp measure: note: {note}", file=sys.stderr)
    tables = [_table_key(logical_id) for logical_id in stack.of_type("AWS::DynamoDB::Table")]
    return Measurement(
        source="cloudwatch",
        run_id=run_id,
        region=stack.region,
        window=window.as_block(),
        onboardings=onboardings,
        api=api,
        functions=function_blocks,
        dynamodb={
            key: TableUsage(
                write_request_units=metrics.total(key, "write_units") or 0,
                read_request_units=metrics.total(key, "read_units") or 0,
            )
            for key in tables
        },
        s3=S3Usage(
            put_requests=metrics.count("s3", "put"),
            get_requests=metrics.count("s3", "get"),
            list_requests=metrics.count("s3", "list"),
        ),
        cognito=CognitoUsage(users_created=onboardings.completed),
        ses=SesUsage(messages=emails, recipients=emails),
        sqs=SqsUsage(
            requests=sum(
                metrics.count("dlq", name)
                for name in ("sent", "received", "deleted", "empty_receives")
            ),
            messages_sent=metrics.count("dlq", "sent"),
            dead_letters=metrics.count("dlq", "sent"),
        ),
        logs=LogUsage(bytes_ingested=sum(block.log_bytes for block in function_blocks.values())),
        notes=tuple(notes),
    )


def _function(
    fn: DeployedFunction, metrics: cw.MetricResults, report: ReportUsage | None, notes: list[str]
) -> FunctionUsage:
    invocations = metrics.count(fn.key, "invocations")
    if report is None:
        report = ReportUsage(0, metrics.total(fn.key, "duration_sum") or 0.0, 0.0, 0, None)
        if invocations:
            notes.append(
                f"{fn.key}: no REPORT line in {fn.log_group}; billed ms taken from the Duration"
                " sum (a lower bound), cold starts and init ms unknown (0)"
            )
    return FunctionUsage(
        memory_mb=fn.memory_mb,
        architecture=fn.architecture,
        timeout_s=fn.timeout_s,
        invocations=invocations,
        errors=metrics.count(fn.key, "errors"),
        throttles=metrics.count(fn.key, "throttles"),
        cold_starts=report.cold_starts,
        init_ms_total=report.init_ms_total,
        duration_ms=_distribution(metrics, fn.key, "duration"),
        billed_ms_total=report.billed_ms_total,
        max_memory_used_mb=report.max_memory_used_mb,
        log_bytes=metrics.count(fn.key, "log_bytes"),
    )


def _api_and_onboardings(
    metrics: cw.MetricResults, notes: list[str]
) -> tuple[ApiUsage, Onboardings]:
    requests = metrics.count("api", "count")
    client_errors, server_errors = metrics.count("api", "4xx"), metrics.count("api", "5xx")
    answered = max(requests - client_errors - server_errors, 0)
    accepted = metrics.count("onboardings", "registrations")
    completed = metrics.count("onboardings", "provisions")
    lost = metrics.count("dlq", "sent")
    notes.append(
        "onboardings derived from metrics: accepted = the Registrations metric (new users; the"
        f" API answered {answered} 2xx, retries and registered addresses included), rejected ="
        " API 4xx, completed = the Provisions metric, lost = dead letters, failed = the rest;"
        " API request bytes = DataProcessed (request + response: an upper bound)"
    )
    api = ApiUsage(
        type="http",
        requests=requests,
        metered_requests=requests,
        request_bytes_total=metrics.count("api", "data_processed"),
        status_counts={"2xx": answered, "4xx": client_errors, "5xx": server_errors},
        latency_ms=_distribution(metrics, "api", "latency"),
    )
    onboardings = Onboardings(
        accepted=accepted,
        completed=min(completed, accepted),
        failed=max(accepted - completed - lost, 0),
        rejected=client_errors,
        lost=lost,
    )
    return api, onboardings


def _distribution(metrics: cw.MetricResults, owner: str, prefix: str) -> Percentiles:
    names = ("mean", *cw.PERCENTILES, "max")
    return Percentiles(**{name: metrics.peak(owner, f"{prefix}_{name}") for name in names})


def measure_into(
    stack: str, start: str, end: str, region: str | None, profile: str | None, run_dir: Path
) -> tuple[Measurement, Path]:
    """Parse the window, collect, and write ``run_dir/measurement.json`` (run id: its name)."""
    window = parse_window(start, end)
    with aws_errors(region):
        aws = AwsSession.open(region, profile)
        measurement = collect_measurement(aws, stack, window, run_dir.name)
    return measurement, write_measurement(measurement, run_dir / "measurement.json")


def measure_to_run_dir(
    stack: str, start: str, end: str, region: str | None, profile: str | None, out_dir: Path
) -> tuple[Measurement, Path]:
    """``measure_into`` a new ``out_dir/<run id>/`` (removed again if collecting fails)."""
    parse_window(start, end)
    _, run_dir = new_run_dir(out_dir)
    try:
        return measure_into(stack, start, end, region, profile, run_dir)
    except BaseException:
        run_dir.rmdir()
        raise


def measure_after_load(
    stack: str,
    start: str,
    end: str,
    region: str | None,
    profile: str | None,
    run_dir: Path,
) -> tuple[Path, WindowCost]:
    """After a staging load test: measure its window into the load's run dir, price, print.

    ``start``/``end`` take what ``--start``/``--end`` take (ISO-8601 or ``-1h``); returns the
    measurement.json path and the modelled cost of the window.
    """
    measurement, path = measure_into(stack, start, end, region, profile, run_dir)
    cost = window_cost(path)
    print(measurement_summary(measurement))
    print(window_cost_summary(cost))
    print(f"measurement: {path}")
    return path, cost
