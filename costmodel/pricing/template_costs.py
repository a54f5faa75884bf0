"""What stack/template.yaml says about cost: functions, tables, alarms, logs, queues, budget.

The template is the single source of truth: memory and architecture of each function, which
tables keep point-in-time recovery, how many alarm metrics the alarms watch (CloudWatch bills
per metric: a plain alarm is 1, a metric-math alarm 1 per metric it reads, an anomaly-detection
alarm 3), the log retention, the queues and the monthly budget.

Example::

    stack = read_stack()
    stack.functions["register"].memory_mb      # 256
    stack.alarm_metrics, stack.budget_usd      # (7, Decimal('100'))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.pricing.custom_metrics import (
    HOURS_PER_MONTH,
    catalog_every_hour_series,
    catalog_series,
)
from kernel.errors import UsageError
from kernel.sam_template import (
    DEFAULT_TEMPLATE,
    FunctionSpec,
    Resolver,
    functions,
    load_template,
    resources_of_type,
)

ANOMALY_ALARM_METRICS = 3
"""CloudWatch bills an anomaly-detection alarm as 3 alarm metrics (the metric and its band)."""

RATE_EXPRESSION = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
"""An EventBridge Scheduler rate expression: ``rate(5 minutes)``."""
MINUTES_PER = {"minute": 1, "hour": 60, "day": 24 * 60}

HIGH_RESOLUTION_PERIOD_S = 60
"""Alarms evaluated more often than once a minute are high-resolution (priced higher)."""


@dataclass(frozen=True)
class LambdaSpec:
    """One function's billing configuration."""

    key: str
    memory_mb: int
    architecture: str
    timeout_s: int
    ephemeral_storage_mb: int
    log_retention_days: int | None
    """Retention of the log group named in LoggingConfig (None: default group, never expires)."""
    tracing: bool
    """X-Ray active tracing: each sampled invocation records a trace."""
    batch_size: int | None = None
    """BatchSize of the function's stream event source (None: no stream source)."""
    batching_window_s: int | None = None
    """MaximumBatchingWindowInSeconds of that source (Lambda's default: 0)."""


@dataclass(frozen=True)
class TableSpec:
    """One DynamoDB table's billing configuration."""

    key: str
    pitr: bool
    stream: bool
    append_only: bool
    """True when the key has a sort key: every write adds an item (the audit trail)."""
    indexes: tuple[str, ...] = ()
    """Its global secondary indexes (each write that touches an index key writes it too)."""


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm and the alarm metrics it is billed for."""

    logical_id: str
    kind: str  # "plain" | "metric-math" | "anomaly"
    alarm_metrics: int
    high_resolution: bool


@dataclass(frozen=True)
class StackSpec:
    """The cost-relevant facts of the template."""

    api_type: str
    api_access_logs: bool
    functions: dict[str, LambdaSpec]
    tables: dict[str, TableSpec]
    alarms: tuple[AlarmSpec, ...]
    queues: tuple[str, ...]
    budget_usd: Decimal
    action_budgets: int
    user_pool_plan: str | None = None
    """The feature plan of the template's user pool (lower case), None without one."""
    custom_metric_series: int = 0
    """Custom metric series the functions' code can emit (costmodel.pricing.custom_metrics)."""
    every_hour_metric_series: int = 0
    """Of those, the series with data in every hour (a scheduled sweep's): fixed."""
    scheduled_runs: Mapping[str, Decimal] | None = None
    """Invocations a month of each function a schedule runs (its rate over a 730-hour month)."""

    @property
    def alarm_metrics(self) -> int:
        """Standard-resolution alarm metrics of plain and metric-math alarms."""
        return sum(
            a.alarm_metrics for a in self.alarms if a.kind != "anomaly" and not a.high_resolution
        )

    @property
    def high_resolution_alarm_metrics(self) -> int:
        """Alarm metrics evaluated at high resolution (period under 60 s)."""
        return sum(
            a.alarm_metrics for a in self.alarms if a.kind != "anomaly" and a.high_resolution
        )

    @property
    def anomaly_alarms(self) -> int:
        """Anomaly-detection alarms (each billed as 3 alarm metrics)."""
        return sum(1 for a in self.alarms if a.kind == "anomaly")

    @property
    def api_service(self) -> str:
        """The catalog service of the API: ``rest_api`` or ``http_api``."""
        return "rest_api" if self.api_type == "rest" else "http_api"


def read_stack(
    path: Path | str = DEFAULT_TEMPLATE, parameters: Mapping[str, Any] | None = None
) -> StackSpec:
    """Read the cost-relevant facts of a SAM template (conditions judged on ``parameters``)."""
    path = Path(path)
    template = load_template(path)
    resolver = Resolver(template, refs=dict(parameters or {}))
    deployed = [
        fn
        for fn in functions(template, path.parent)
        if not fn.condition or resolver.condition(fn.condition)
    ]
    try:
        return StackSpec(
            api_type=_api_type(template),
            api_access_logs=any(
                "AccessLogSettings" in api.get("Properties", {})
                for api in resources_of_type(template, "AWS::Serverless::HttpApi").values()
            ),
            functions=_functions(template, deployed, resolver),
            tables=_tables(template, resolver),
            alarms=tuple(
                _alarm(logical_id, resource["Properties"])
                for logical_id, resource in _present(
                    resources_of_type(template, "AWS::CloudWatch::Alarm"), resolver
                ).items()
            ),
            queues=tuple(
                _key(lid, "Queue")
                for lid in _present(resources_of_type(template, "AWS::SQS::Queue"), resolver)
            ),
            budget_usd=_budget_usd(template, resolver),
            action_budgets=len(resources_of_type(template, "AWS::Budgets::BudgetsAction")),
            user_pool_plan=_user_pool_plan(template, resolver),
            custom_metric_series=catalog_series(deployed),
            every_hour_metric_series=catalog_every_hour_series(deployed),
            scheduled_runs=_scheduled_runs(template, resolver),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"template {path}: cannot read cost facts ({exc!r})") from exc


def _user_pool_plan(template: Mapping[str, Any], resolver: Resolver) -> str | None:
    """``UserPoolTier`` of the (first) user pool; AWS's default for a new pool is Essentials."""
    pools = _present(resources_of_type(template, "AWS::Cognito::UserPool"), resolver)
    for pool in pools.values():
        return str(resolver.resolve(pool["Properties"].get("UserPoolTier", "ESSENTIALS"))).lower()
    return None


def _present(resources: dict[str, dict[str, Any]], resolver: Resolver) -> dict[str, dict[str, Any]]:
    """Only the resources whose Condition (if any) holds."""
    return {
        lid: r
        for lid, r in resources.items()
        if "Condition" not in r or resolver.condition(r["Condition"])
    }


def _key(logical_id: str, suffix: str) -> str:
    """``UsersTable`` -> ``users``: the short name measurements and bills use."""
    return logical_id.removesuffix(suffix).lower()


def _api_type(template: Mapping[str, Any]) -> str:
    if resources_of_type(template, "AWS::Serverless::Api") or resources_of_type(
        template, "AWS::ApiGateway::RestApi"
    ):
        return "rest"
    return "http"


def _functions(
    template: Mapping[str, Any], deployed: list[FunctionSpec], resolver: Resolver
) -> dict[str, LambdaSpec]:
    retention = _log_retention(template, resolver)
    specs = {}
    for fn in deployed:
        storage = resolver.resolve(fn.properties.get("EphemeralStorage", {})).get("Size", 512)
        log_group = fn.properties.get("LoggingConfig", {}).get("LogGroup", {})
        specs[fn.key] = LambdaSpec(
            key=fn.key,
            memory_mb=int(resolver.resolve(fn.memory_mb)),
            architecture=str(resolver.resolve(fn.architecture)),
            timeout_s=int(resolver.resolve(fn.timeout_s)),
            ephemeral_storage_mb=int(storage),
            log_retention_days=retention.get(log_group.get("Ref", "")) if log_group else None,
            tracing=fn.properties.get("Tracing") == "Active",
            **_stream_batching(fn.events, resolver),
        )
    return specs


def _stream_batching(events: Mapping[str, Any], resolver: Resolver) -> dict[str, int | None]:
    """BatchSize and batching window of the first DynamoDB stream event source (Lambda's
    defaults when unset: 100 records, no window), or {} without one."""
    for event in events.values():
        if event.get("Type") == "DynamoDB":
            props = event.get("Properties", {})
            return {
                "batch_size": int(resolver.resolve(props.get("BatchSize", 100))),
                "batching_window_s": int(
                    resolver.resolve(props.get("MaximumBatchingWindowInSeconds", 0))
                ),
            }
    return {}


def _log_retention(template: Mapping[str, Any], resolver: Resolver) -> dict[str, int | None]:
    """Retention days (None: never expire) of every log group, by logical id."""
    return {
        logical_id: _days(resolver.resolve(resource.get("Properties", {}).get("RetentionInDays")))
        for logical_id, resource in resources_of_type(template, "AWS::Logs::LogGroup").items()
    }


def _days(value: Any) -> int | None:
    return None if value is None else int(value)


def _tables(template: Mapping[str, Any], resolver: Resolver) -> dict[str, TableSpec]:
    tables = {}
    resources = _present(resources_of_type(template, "AWS::DynamoDB::Table"), resolver)
    for logical_id, resource in resources.items():
        props = resolver.resolve(resource.get("Properties", {}))
        pitr = props.get("PointInTimeRecoverySpecification", {})
        key_types = {k.get("KeyType") for k in props.get("KeySchema", [])}
        tables[_key(logical_id, "Table")] = TableSpec(
            key=_key(logical_id, "Table"),
            pitr=str(pitr.get("PointInTimeRecoveryEnabled", False)).lower() == "true",
            stream=bool(props.get("StreamSpecification")),  # None: Fn::If to AWS::NoValue
            append_only="RANGE" in key_types,
            indexes=tuple(i["IndexName"] for i in props.get("GlobalSecondaryIndexes") or []),
        )
    return tables


def _scheduled_runs(template: Mapping[str, Any], resolver: Resolver) -> dict[str, Decimal]:
    """Invocations a month per function key of every enabled rate schedule targeting one."""
    runs: dict[str, Decimal] = {}
    for schedule in _present(
        resources_of_type(template, "AWS::Scheduler::Schedule"), resolver
    ).values():
        props = schedule["Properties"]
        arn = props["Target"]["Arn"]
        if props.get("State", "ENABLED") != "ENABLED" or "Fn::GetAtt" not in arn:
            continue
        match = RATE_EXPRESSION.match(str(props["ScheduleExpression"]))
        if match is None:
            raise ValueError(f"schedule expression {props['ScheduleExpression']!r}: rate() only")
        minutes = int(match.group(1)) * MINUTES_PER[match.group(2).removesuffix("s")]
        key = _key(str(arn["Fn::GetAtt"][0]), "Function")
        runs[key] = runs.get(key, Decimal(0)) + Decimal(HOURS_PER_MONTH * 60) / minutes
    return runs


def _alarm(logical_id: str, props: Mapping[str, Any]) -> AlarmSpec:
    """Classify one alarm and count its billed alarm metrics."""
    metrics = props.get("Metrics") or []
    expressions = [str(m.get("Expression", "")) for m in metrics]
    high_res = int(props.get("Period", 60) or 60) < HIGH_RESOLUTION_PERIOD_S or any(
        int(m.get("MetricStat", {}).get("Period", 60)) < HIGH_RESOLUTION_PERIOD_S for m in metrics
    )
    if any("ANOMALY_DETECTION_BAND" in e for e in expressions):
        return AlarmSpec(logical_id, "anomaly", ANOMALY_ALARM_METRICS, high_res)
    if metrics:
        watched = sum(1 for m in metrics if "MetricStat" in m)
        return AlarmSpec(logical_id, "metric-math", max(watched, 1), high_res)
    return AlarmSpec(logical_id, "plain", 1, high_res)


def _budget_usd(template: Mapping[str, Any], resolver: Resolver) -> Decimal:
    budgets = resources_of_type(template, "AWS::Budgets::Budget")
    if not budgets:
        return Decimal("100")
    (budget,) = budgets.values()
    limit = resolver.resolve(budget["Properties"]["Budget"]["BudgetLimit"])
    return Decimal(str(limit["Amount"]))
