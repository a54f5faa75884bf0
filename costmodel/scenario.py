"""The onboarding scenario: N onboardings a month turned into a usage dict, then a bill.

The per-onboarding shape comes from a measurement.json (its ``per_onboarding`` block and
totals) or from the documented defaults below; the fixed part (alarms, memory sizes, PITR,
log retention) comes from stack/template.yaml. Quantities are computed with plain arithmetic,
so the same code serves the Decimal engine (floats) and the Monte Carlo model (numpy arrays).

Example::

    est = estimate(1000)                       # defaults, template, always-free, us-east-1
    est.bill.total, est.fixed, est.per_1000    # Decimals
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from costmodel.custom_metrics import metric_months
from costmodel.engine import Bill, price_usage, to_cents
from costmodel.template_costs import StackSpec, read_stack
from onramp.measurement import load_measurement
from onramp.sam_template import DEFAULT_TEMPLATE

GIB = 1024**3
"""CloudWatch and DynamoDB bill storage and ingestion per GB of 2^30 bytes."""

DAYS_PER_MONTH = 30
NEVER_EXPIRE_DAYS = 365
"""Log groups without a retention keep growing; we count one year of logs as stored."""

DEFAULT_REGION = "us-east-1"
DEFAULT_FREE_TIER = "always-free"

STREAM_FUNCTIONS = ("enrich", "provision", "datalake")
"""Functions driven by the table stream: the ones stream batch retries invoke again."""

LOG_BYTES_PER_INVOCATION = 600.0
"""START, END and REPORT lines (~ 300 B) plus one structured Powertools log line (~ 300 B)."""

# Documented defaults, used when no measurement is given. Each is a per-onboarding figure for
# one accepted registration; the measurement from `onramp demo` or `onramp measure` replaces
# them all. Sources: the handlers' work (stack/src/onboarding) and AWS's billing rules.
DEFAULT_REJECTED_PER_ACCEPTED = 0.1
"""1.1 API requests per onboarding: one in eleven registrations is invalid (HTTP 400/409)."""
DEFAULT_MS_PER_INVOCATION = {"register": 15.0, "enrich": 40.0, "provision": 180.0, "datalake": 30.0}
"""register: validate + one PutItem; enrich: validation, normalising, the external lookup;
provision: S3 put + head, IAM CreatePolicy, SES SendEmail; datalake: one S3 put."""
DEFAULT_WRITE_UNITS = {"users": 5.0, "audit": 3.0}
"""users: the pending row, the processing update, the welcome-email claim, its message id and
the completed update (the row stays under 1 KB: 1 WRU each); audit: 3 appended status events
(< 1 KB each, 1 WRU each)."""
DEFAULT_STORED_BYTES = {"users": 900.0, "audit": 3 * 300.0}
"""The completed user row (~ 900 B) and three audit events (~ 300 B each)."""
DEFAULT_API_REQUEST_KB = 0.4
"""A registration body (name, email, phone, metadata) is well under one 512 KB metering step."""
DEFAULT_EMAILS = 1.0
"""One welcome email to one recipient (SES bills per recipient)."""
DEFAULT_S3_PUTS = 1.0
"""The per-user prefix marker object ``users/<user_id>/``."""
DEFAULT_S3_GETS = 1.0
"""The idempotency HEAD on the marker (billed as a GET-class request)."""
ACCESS_LOG_BYTES_PER_REQUEST = 350.0
"""One JSON line of the HTTP API access log (the template's AccessLogSettings format)."""
TRACED_SHARE = 1.0
"""Share of traced invocations X-Ray records. Lambda's default sampling rule keeps 1 request
a second per function plus 5 %: every invocation while a function sees under one a second."""


@dataclass(frozen=True)
class PerOnboarding:
    """The usage one accepted onboarding causes, rejected requests' share included.

    Fields hold floats (or numpy arrays in the Monte Carlo model).
    """

    api_requests: Any
    api_request_kb: Any
    invocations: dict[str, Any]
    billed_ms: dict[str, Any]
    write_units: dict[str, Any]
    read_units: dict[str, Any]
    stored_bytes: dict[str, Any]
    log_bytes: Any
    emails: Any
    s3_put_requests: Any
    s3_get_requests: Any
    s3_stored_bytes: Any
    sqs_requests: Any
    rejected_per_accepted: Any
    source: str = "defaults"

    @property
    def invalid_share(self) -> Any:
        """Share of registration requests rejected as invalid."""
        return self.rejected_per_accepted / (1 + self.rejected_per_accepted)


@dataclass(frozen=True)
class Inputs:
    """The uncertain inputs, as moves away from the measured (or default) shape.

    ``invalid_share`` None keeps the measured share. Floats or numpy arrays.
    """

    duration_factor: Any = 1.0
    log_factor: Any = 1.0
    invalid_share: Any = None
    retry_rate: Any = 0.0


def default_per_onboarding(stack: StackSpec) -> PerOnboarding:
    """The documented defaults for the functions and tables the template declares."""
    fns = [key for key in stack.functions if key in DEFAULT_MS_PER_INVOCATION]
    invocations = {key: 1.0 for key in fns}
    api_requests = 1.0 + DEFAULT_REJECTED_PER_ACCEPTED
    invocations["register"] = api_requests
    return PerOnboarding(
        api_requests=api_requests,
        api_request_kb=DEFAULT_API_REQUEST_KB,
        invocations=invocations,
        billed_ms={key: invocations[key] * DEFAULT_MS_PER_INVOCATION[key] for key in fns},
        write_units={key: DEFAULT_WRITE_UNITS.get(key, 0.0) for key in stack.tables},
        read_units={key: 0.0 for key in stack.tables},
        stored_bytes={key: DEFAULT_STORED_BYTES.get(key, 0.0) for key in stack.tables},
        log_bytes=LOG_BYTES_PER_INVOCATION * sum(invocations.values())
        + (ACCESS_LOG_BYTES_PER_REQUEST * api_requests if stack.api_access_logs else 0.0),
        emails=DEFAULT_EMAILS,
        s3_put_requests=DEFAULT_S3_PUTS + (1.0 if "datalake" in fns else 0.0),
        s3_get_requests=DEFAULT_S3_GETS,
        s3_stored_bytes=0.0,
        sqs_requests=0.0,
        rejected_per_accepted=DEFAULT_REJECTED_PER_ACCEPTED,
    )


def per_onboarding_from_measurement(measurement: dict[str, Any], stack: StackSpec) -> PerOnboarding:
    """The shape of a validated measurement.json (see docs/architecture.md)."""
    per = measurement["per_onboarding"]
    accepted = measurement["onboardings"]["accepted"]
    tables = measurement.get("dynamodb", {})
    api_kb = per.get("api_request_bytes", 0.0) / max(per["api_requests"], 1e-12) / 1024
    return PerOnboarding(
        api_requests=per["api_requests"],
        api_request_kb=api_kb,
        invocations=dict(per["invocations"]),
        billed_ms=dict(per["billed_ms"]),
        write_units={k: t["write_request_units"] / accepted for k, t in tables.items()},
        read_units={k: t["read_request_units"] / accepted for k, t in tables.items()},
        stored_bytes={k: _stored_bytes(k, t, accepted, stack) for k, t in tables.items()},
        log_bytes=per["log_bytes"],
        emails=per["emails"],
        s3_put_requests=per["s3_put_requests"],
        s3_get_requests=per.get("s3_get_requests", 0.0),
        s3_stored_bytes=measurement["s3"].get("bytes_stored", 0) / accepted,
        sqs_requests=per["sqs_requests"],
        rejected_per_accepted=measurement["onboardings"]["rejected"] / accepted,
        source=f"measurement {measurement['run_id']}",
    )


def _stored_bytes(key: str, table: dict[str, Any], accepted: int, stack: StackSpec) -> float:
    """Bytes an onboarding leaves in a table: one row, or every item of an append-only table."""
    spec = stack.tables.get(key)
    items = table.get("items_written", accepted) / accepted if spec and spec.append_only else 1.0
    return items * table.get("mean_item_bytes", 0.0)


def adjusted(per: PerOnboarding, inputs: Inputs) -> PerOnboarding:
    """The shape with the uncertain inputs applied (plain arithmetic: works on arrays).

    Durations scale every function's billed ms; log bytes scale; a different invalid share
    adds (or removes) rejected requests, each one an API request, a register invocation and
    its log lines; stream retries invoke the stream functions again.
    """
    calls = sum(per.invocations.values())
    log_per_call = per.log_bytes / calls if calls else 0.0
    extra_rejected = 0.0
    if inputs.invalid_share is not None:
        extra_rejected = (
            inputs.invalid_share / (1 - inputs.invalid_share) - per.rejected_per_accepted
        )
    invocations = dict(per.invocations)
    billed_ms = dict(per.billed_ms)
    if invocations.get("register"):
        ms_per_call = billed_ms["register"] / invocations["register"]
        invocations["register"] = invocations["register"] + extra_rejected
        billed_ms["register"] = billed_ms["register"] + extra_rejected * ms_per_call
    added_calls = extra_rejected
    for key in STREAM_FUNCTIONS:
        if key in invocations:
            added_calls = added_calls + inputs.retry_rate * invocations[key]
            invocations[key] = invocations[key] * (1 + inputs.retry_rate)
            billed_ms[key] = billed_ms[key] * (1 + inputs.retry_rate)
    return replace(
        per,
        api_requests=per.api_requests + extra_rejected,
        invocations=invocations,
        billed_ms={k: v * inputs.duration_factor for k, v in billed_ms.items()},
        log_bytes=(per.log_bytes + added_calls * log_per_call) * inputs.log_factor,
        rejected_per_accepted=per.rejected_per_accepted + extra_rejected,
    )


def monthly_quantities(
    users: Any, per: PerOnboarding, stack: StackSpec, stored_onboardings: Any = None
) -> dict[tuple[str, str, str], Any]:
    """Every numeric usage key of the month, keyed (service, resource, key), in bill order.

    Plain arithmetic, so ``users`` and the shape may be numpy arrays. ``stored_onboardings``
    (default: this month's) sets the DynamoDB and S3 storage; logs are stored for the
    template's retention (steady state: monthly ingest x retention months).
    """
    stored = users if stored_onboardings is None else stored_onboardings
    api = "rest_api" if stack.api_type == "rest" else "http_api"
    log_gb = users * per.log_bytes / GIB
    q: dict[tuple[str, str, str], Any] = {(api, "api", "requests"): users * per.api_requests}
    for key in stack.functions:
        q[("lambda", key, "requests")] = users * per.invocations.get(key, 0.0)
        q[("lambda", key, "billed_ms_total")] = users * per.billed_ms.get(key, 0.0)
    for key, table in stack.tables.items():
        storage_gb = stored * per.stored_bytes.get(key, 0.0) / GIB
        q[("dynamodb", key, "write_request_units")] = users * per.write_units.get(key, 0.0)
        q[("dynamodb", key, "read_request_units")] = users * per.read_units.get(key, 0.0)
        q[("dynamodb", key, "storage_gb")] = storage_gb
        q[("dynamodb", key, "pitr_gb")] = storage_gb if table.pitr else 0.0
    q[("ses", "welcome", "recipients")] = users * per.emails
    q[("s3", "userspaces", "put_requests")] = users * per.s3_put_requests
    q[("s3", "userspaces", "get_requests")] = users * per.s3_get_requests
    q[("s3", "userspaces", "storage_gb")] = stored * per.s3_stored_bytes / GIB
    q[("cloudwatch", "ops", "alarm_metrics")] = stack.alarm_metrics
    q[("cloudwatch", "ops", "anomaly_alarms")] = stack.anomaly_alarms
    q[("cloudwatch", "ops", "high_resolution_alarm_metrics")] = stack.high_resolution_alarm_metrics
    q[("cloudwatch", "ops", "custom_metrics")] = metric_months(stack.custom_metric_series, users)
    q[("cloudwatch", "ops", "log_ingest_gb")] = log_gb
    q[("cloudwatch", "ops", "log_storage_gb")] = log_gb * log_retention_months(stack)
    for index, queue in enumerate(stack.queues):
        q[("sqs", queue, "requests")] = users * per.sqs_requests if index == 0 else 0.0
    traced = [key for key, fn in stack.functions.items() if fn.tracing]
    q[("xray", "lambda", "traces_recorded")] = (
        users * sum(per.invocations.get(key, 0.0) for key in traced) * TRACED_SHARE
    )
    q[("budgets", "monthly", "action_enabled_budgets")] = stack.action_budgets
    return q


def log_retention_months(stack: StackSpec) -> float:
    """Months of logs kept: the longest retention of any function (never-expire: 12)."""
    days = [fn.log_retention_days or NEVER_EXPIRE_DAYS for fn in stack.functions.values()]
    return max(days, default=NEVER_EXPIRE_DAYS) / DAYS_PER_MONTH


def static_fields(per: PerOnboarding, stack: StackSpec) -> dict[tuple[str, str], dict[str, Any]]:
    """The non-quantity keys of each resource: memory, architecture, request size."""
    fields: dict[tuple[str, str], dict[str, Any]] = {
        ("lambda", key): {
            "memory_mb": fn.memory_mb,
            "architecture": fn.architecture,
            "ephemeral_storage_mb": fn.ephemeral_storage_mb,
        }
        for key, fn in stack.functions.items()
    }
    if stack.api_type == "http":
        fields[("http_api", "api")] = {"request_size_kb": _number(per.api_request_kb)}
    return fields


def _number(value: float) -> Decimal:
    """A float quantity as a Decimal without float noise (1100.0000000000002 -> 1100)."""
    number = Decimal(repr(round(float(value), 12)))
    return number.to_integral_value() if number == number.to_integral_value() else number


@dataclass(frozen=True)
class Scenario:
    """The pipeline as priced: per-onboarding shape, template facts, region, free tier."""

    per: PerOnboarding
    stack: StackSpec
    region: str = DEFAULT_REGION
    free_tier: str = DEFAULT_FREE_TIER
    ses_plan: str = "a-la-carte"

    def usage(
        self, users: float, inputs: Inputs | None = None, stored_onboardings: float | None = None
    ) -> dict[str, Any]:
        """The usage document (costmodel.usage shape) of ``users`` onboardings in a month."""
        per = adjusted(self.per, inputs) if inputs else self.per
        static = static_fields(per, self.stack)
        resources: dict[tuple[str, str], dict[str, Any]] = {}
        for (service, name, key), value in monthly_quantities(
            users, per, self.stack, stored_onboardings
        ).items():
            resource = resources.setdefault(
                (service, name),
                {"service": service, "name": name, **static.get((service, name), {})},
            )
            resource[key] = _number(value)
        return {
            "region": self.region,
            "free_tier": self.free_tier,
            "ses_plan": self.ses_plan,
            "resources": list(resources.values()),
        }

    def bill(
        self, users: float, inputs: Inputs | None = None, stored_onboardings: float | None = None
    ) -> Bill:
        """The exact Decimal bill of ``users`` onboardings in a month."""
        return price_usage(self.usage(users, inputs, stored_onboardings))


def load_scenario(
    measurement: Path | str | None = None,
    *,
    template: Path | str = DEFAULT_TEMPLATE,
    region: str | None = None,
    free_tier: str = DEFAULT_FREE_TIER,
    ses_plan: str = "a-la-carte",
) -> Scenario:
    """The scenario of a measurement.json (or the documented defaults) and the template.

    The region defaults to the measurement's, else us-east-1.
    """
    stack = read_stack(template)
    if measurement is None:
        per = default_per_onboarding(stack)
        measured_region = DEFAULT_REGION
    else:
        data = load_measurement(measurement)
        per = per_onboarding_from_measurement(data, stack)
        measured_region = data["region"]
    return Scenario(per, stack, region or measured_region, free_tier, ses_plan)


@dataclass(frozen=True)
class Estimate:
    """The bill of N onboardings a month, split into fixed and variable parts."""

    users: int
    bill: Bill
    fixed_bill: Bill

    @property
    def total(self) -> Decimal:
        """The month's total."""
        return self.bill.total

    @property
    def fixed(self) -> Decimal:
        """What the stack costs with no onboarding at all (alarms, metrics, budgets)."""
        return self.fixed_bill.total

    @property
    def variable(self) -> Decimal:
        """The part of the bill the onboardings cause."""
        return self.total - self.fixed

    @property
    def per_1000(self) -> Decimal:
        """All-in cost per 1,000 onboardings (fixed part included), to the cent."""
        return to_cents(self.total * 1000 / self.users) if self.users else to_cents(Decimal(0))

    @property
    def variable_per_1000(self) -> Decimal:
        """Variable cost per 1,000 onboardings, to the cent."""
        return to_cents(self.variable * 1000 / self.users) if self.users else to_cents(Decimal(0))

    def summary(self) -> dict[str, str]:
        """The headline figures as decimal strings."""
        return {
            "users": str(self.users),
            "total": str(self.total),
            "fixed": str(self.fixed),
            "variable": str(self.variable),
            "per_1000_onboardings": str(self.per_1000),
            "variable_per_1000_onboardings": str(self.variable_per_1000),
        }


def estimate(users: int, scenario: Scenario | None = None) -> Estimate:
    """Price ``users`` onboardings a month, with the zero-onboarding bill as the fixed part."""
    scenario = scenario or load_scenario()
    return Estimate(users, scenario.bill(users), scenario.bill(0))
