"""The onboarding scenario: N onboardings a month turned into a usage dict, then a bill.

The per-onboarding shape comes from a measurement.json (its ``per_onboarding`` block and
totals) or from the documented defaults below; the fixed part (alarms, memory sizes, PITR,
log retention) comes from stack/template.yaml. Quantities are computed with plain arithmetic,
so the same code serves the Decimal engine (exact Decimals, from the measurement's own totals
to the priced line: no float on the way) and the Monte Carlo model (numpy float arrays).

Example::

    est = estimate(1000)                       # defaults, template, always-free, us-east-1
    est.bill.total, est.fixed, est.per_1000    # Decimals
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from costmodel.forecast.bootstrap import RunEvidence, read_evidence
from costmodel.measurement import Measurement, TableUsage, exact, load_measurement
from costmodel.pricing.arithmetic import EXACT, Arithmetic
from costmodel.pricing.components.registry import SERVICES
from costmodel.pricing.custom_metrics import metric_months
from costmodel.pricing.engine import Bill, price_usage, to_cents
from costmodel.pricing.template_costs import StackSpec, read_stack
from kernel.sam_template import DEFAULT_TEMPLATE

GIB = 1024**3
"""CloudWatch and DynamoDB bill storage and ingestion per GB of 2^30 bytes."""

DAYS_PER_MONTH = 30
NEVER_EXPIRE_DAYS = 365
"""Log groups without a retention keep growing; we count one year of logs as stored."""

MAX_ONBOARDINGS = 10**12
MAX_ONBOARDINGS_WHY = (
    "385,000 onboardings a second; each bills an API request and three invocations, so "
    "more would pass the 1e15 a month any account can meter"
)
"""The most onboardings a month priced: the usage bound (costmodel.pricing.usage) over one
onboarding."""
DEFAULT_REGION = "us-east-1"
DEFAULT_FREE_TIER = "always-free"
DOCUMENTED_DEFAULTS = "documented defaults"
COMPLETION_FUNCTIONS = ("provision", "datalake")
"""Functions only a completing onboarding invokes (enrichment passed)."""

STREAM_FUNCTIONS = ("enrich", "provision", "datalake")
"""Functions driven by the table stream: the ones stream batch retries invoke again."""

ZERO = Decimal(0)
LOG_BYTES_PER_INVOCATION = Decimal(600)
"""START, END and REPORT lines (~ 300 B) plus one structured Powertools log line (~ 300 B)."""

# Documented defaults, used when no measurement is given. Each is a per-onboarding figure for
# one accepted registration; the measurement from `onramp demo` or `onramp measure` replaces
# them all. Sources: the handlers' work (stack/src/onboarding) and AWS's billing rules.
DEFAULT_REJECTED_PER_ACCEPTED = Decimal("0.1")
"""1.1 API requests per onboarding: one in eleven registrations is invalid (HTTP 400/409)."""
DEFAULT_MS_PER_INVOCATION = {
    "register": Decimal(15),
    "enrich": Decimal(40),
    "provision": Decimal(180),
    "datalake": Decimal(30),
}
"""register: validate + one PutItem; enrich: validation, normalising, the external lookup;
provision: S3 put + head, IAM CreatePolicy, SES SendEmail; datalake: one S3 put."""
DEFAULT_COLD_START_SHARE = Decimal("0.01")
"""Share of invocations that start a new execution environment (a billed INIT phase since
2025-08-01). AWS: "cold starts typically occur in under 1% of invocations" (Operating Lambda:
Performance optimization, https://aws.amazon.com/blogs/compute/operating-lambda-performance-optimization-part-1/);
INIT billing: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/.
A function seeing under one request every few minutes starts cold far more often: a
measured run, or ``--cold-start-share``, replaces it."""
DEFAULT_INIT_MS = Decimal(400)
"""Billed INIT ms of one cold start: Python functions "usually initialize in 200-400 ms"
(https://edgedelta.com/company/knowledge-center/aws-lambda-cold-start-cost, S); ours import
boto3 and Powertools, so the top of that range. The local run measures it (init_ms_total)."""
MAX_INIT_MS = Decimal(10_000)
"""Lambda stops an on-demand INIT phase at 10 s (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)."""
INDEX_WRITES_PER_ONBOARDING = Decimal(4)
"""The sparse in-flight index (``InFlightIndex``, keys only, well under 1 KB an entry): the
pending put adds the user's entry (1), the move to processing changes its key (delete + put,
2), settling removes it (1). DynamoDB developer guide, "Global secondary indexes", writes:
"If an update to the table changes the value of an indexed key attribute (from A to B), two
writes are required"; an item without the index key costs the index nothing
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html)."""
DEFAULT_WRITE_UNITS = {"users": Decimal(5), "audit": Decimal(4)}
"""users: the pending row, the processing update, the welcome-email claim, its message id and
the completed update (the row stays under 1 KB: 1 WRU each), plus the in-flight index's
:data:`INDEX_WRITES_PER_ONBOARDING` when the table has it; audit: 3 appended status events
(< 1 KB each, 1 WRU each) plus enrich's repeat of the pending entry register already wrote (a
failed conditional put is billed a write unit too). The per-source counters
(``registerlimits``) take one conditional update per API request: see
:func:`default_per_onboarding`."""
SOURCE_COUNTER_TABLE = "registerlimits"
"""RegisterLimitsTable's key: one write unit per ``POST /register``, admitted or not."""
INDEX_ENTRY_BYTES = Decimal(100 + 120)
"""Stored bytes of one in-flight index entry: DynamoDB's 100 bytes of index overhead plus
the keys (``in_flight``, ``created_at``, ``user_id``: names and values, ~120 B)."""
IN_FLIGHT_SECONDS = Decimal(5)
"""How long a user is in flight (registered to settled): a few seconds locally and on AWS.
Little's law: the index holds rate x this many entries on average, so its storage is a few
kilobytes at any volume, priced (it rounds to nothing) rather than left out."""
SECONDS_PER_MONTH = 730 * 3600
SCHEDULED_MS_PER_RUN = Decimal(100)
"""One sweep with nothing stuck: two index queries and its log lines (a re-drive adds a
stream function's work, rare by design)."""
SCHEDULED_INIT_MS_PER_RUN = DEFAULT_INIT_MS
"""Every sweep is taken as a cold start: an environment idle for 5 minutes is often gone."""
SCHEDULED_READ_UNITS_PER_RUN = Decimal(1)
"""Two index queries (pending, processing), each at least one 4 KB read unit, halved as an
index query is eventually consistent."""
SCHEDULED_LOG_BYTES_PER_RUN = Decimal(1000)
"""START/END/REPORT (~300 B), the "swept" line (~450 B) and the StuckUsers EMF blob (~250 B)."""
DEFAULT_STORED_BYTES = {"users": Decimal(900), "audit": Decimal(3 * 300)}
"""The completed user row (~ 900 B) and three audit events (~ 300 B each)."""
DEFAULT_API_REQUEST_KB = Decimal("0.4")
"""A registration body (name, email, phone, metadata) is well under one 512 KB metering step."""
DEFAULT_EMAILS = Decimal(1)
"""One welcome email to one recipient (SES bills per recipient)."""
DEFAULT_S3_PUTS = Decimal(1)
"""The per-user prefix marker object ``users/<user_id>/``."""
DEFAULT_S3_GETS = Decimal(1)
"""The idempotency HEAD on the marker (billed as a GET-class request)."""
ACCESS_LOG_BYTES_PER_REQUEST = Decimal(350)
"""One JSON line of the HTTP API access log (the template's AccessLogSettings format)."""
DEFAULT_POOL_USERS = Decimal(1)
"""One user-pool user per completed onboarding (AdminCreateUser: an MAU in its month)."""
DEFAULT_SIGN_IN_SHARE = Decimal("0.25")
"""Share of earlier-onboarded users who sign in (are MAU) in a given month: an assumption,
not a measurement; change it with ``--sign-in-share``. Onboardings are MAU in their own
month whatever it is, since AWS counts an administrative creation as an identity operation."""
TRACED_SHARE = 1
"""Share of traced invocations X-Ray records. Lambda's default sampling rule keeps 1 request
a second per function plus 5 %: every invocation while a function sees under one a second."""


@dataclass(frozen=True)
class PerOnboarding:
    """The usage one accepted onboarding causes, rejected requests' share included.

    Fields hold Decimals (or numpy float arrays in the Monte Carlo model: ``in_number``).
    ``api_request_kb`` 0 means the API requests are already counted in 512 KB steps (a
    measured run); ``init_ms`` is billed INIT ms the default shape adds per function (a
    measured run's billed ms include its INIT phases).
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
    init_ms: dict[str, Any] | None = None
    source: str = DOCUMENTED_DEFAULTS
    """The shape priced, for every output: ``documented defaults`` or ``measured: run <id>``."""
    failure_share: Any = ZERO
    """Share of accepted onboardings that end ``failed`` (no provisioning, no email)."""
    pool_users: Any = DEFAULT_POOL_USERS
    sign_in_share: Any = DEFAULT_SIGN_IN_SHARE

    def in_number(self, convert: Callable[[Any], Any]) -> PerOnboarding:
        """The same shape with every quantity passed through ``convert`` (e.g. ``float``)."""
        changes: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "source" or value is None:
                continue
            is_map = isinstance(value, dict)
            changes[f.name] = (
                {k: convert(v) for k, v in value.items()} if is_map else convert(value)
            )
        return replace(self, **changes)

    @property
    def invalid_share(self) -> Any:
        """Share of registration requests rejected as invalid."""
        return self.rejected_per_accepted / (1 + self.rejected_per_accepted)


@dataclass(frozen=True)
class Inputs:
    """The uncertain inputs, as moves away from the measured (or default) shape.

    ``invalid_share`` and ``failure_share`` None keep the measured shares. Floats or numpy
    arrays; ``function_durations`` and ``stream_batches`` map a function to its factor
    (bootstrapped from a run: costmodel.forecast.bootstrap).
    """

    duration_factor: Any = 1
    log_factor: Any = 1
    invalid_share: Any = None
    retry_rate: Any = 0
    function_durations: Mapping[str, Any] | None = None
    stream_batches: Mapping[str, Any] | None = None
    failure_share: Any = None

    def in_number(self, num: Arithmetic) -> Inputs:
        """The inputs in ``num``'s number type (a float becomes its exact Decimal)."""
        return Inputs(**{f.name: _in_number(getattr(self, f.name), num) for f in fields(self)})


def _in_number(value: Any, num: Arithmetic) -> Any:
    """One input in ``num``'s number type (a mapping: per key; None stays None)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {key: num.number(v) for key, v in value.items()}
    return num.number(value)


def default_per_onboarding(
    stack: StackSpec,
    cold_start_share: Decimal = DEFAULT_COLD_START_SHARE,
    init_ms: Decimal = DEFAULT_INIT_MS,
) -> PerOnboarding:
    """The documented defaults for the functions and tables the template declares.

    Every function's invocations include ``cold_start_share`` cold starts of ``init_ms``
    billed INIT each (billed since 2025-08-01).
    """
    fns = [key for key in stack.functions if key in DEFAULT_MS_PER_INVOCATION]
    invocations = {key: Decimal(1) for key in fns}
    api_requests = 1 + DEFAULT_REJECTED_PER_ACCEPTED
    invocations["register"] = api_requests
    return PerOnboarding(
        api_requests=api_requests,
        api_request_kb=DEFAULT_API_REQUEST_KB,
        invocations=invocations,
        billed_ms={key: invocations[key] * DEFAULT_MS_PER_INVOCATION[key] for key in fns},
        write_units={
            key: (
                api_requests
                if key == SOURCE_COUNTER_TABLE
                else DEFAULT_WRITE_UNITS.get(key, ZERO)
                + (INDEX_WRITES_PER_ONBOARDING if table.indexes else ZERO)
            )
            for key, table in stack.tables.items()
        },
        read_units={key: ZERO for key in stack.tables},
        stored_bytes={key: DEFAULT_STORED_BYTES.get(key, ZERO) for key in stack.tables},
        log_bytes=LOG_BYTES_PER_INVOCATION * sum(invocations.values())
        + (ACCESS_LOG_BYTES_PER_REQUEST * api_requests if stack.api_access_logs else ZERO),
        emails=DEFAULT_EMAILS,
        s3_put_requests=DEFAULT_S3_PUTS + (1 if "datalake" in fns else 0),
        s3_get_requests=DEFAULT_S3_GETS,
        s3_stored_bytes=ZERO,
        sqs_requests=ZERO,
        rejected_per_accepted=DEFAULT_REJECTED_PER_ACCEPTED,
        init_ms={key: invocations[key] * cold_start_share * init_ms for key in fns},
        source=(
            f"{DOCUMENTED_DEFAULTS} (cold starts {cold_start_share:%} of invocations, "
            f"{init_ms} ms INIT)"
        ),
    )


def per_onboarding_from_measurement(measurement: Measurement, stack: StackSpec) -> PerOnboarding:
    """The shape of a measurement, exact: its ``per_onboarding()`` (the one division).

    The API requests are the recorder's metered requests (already counted in 512 KB steps,
    so no request size is passed on); billed ms include the run's INIT phases.
    """
    per = measurement.per_onboarding()
    return PerOnboarding(
        api_requests=per.api_requests,
        api_request_kb=ZERO,
        invocations=dict(per.invocations),
        billed_ms=dict(per.billed_ms),
        write_units=dict(per.write_request_units),
        read_units=dict(per.read_request_units),
        stored_bytes={
            key: _stored_bytes(key, table, per.items_written[key], stack)
            for key, table in measurement.dynamodb.items()
        },
        log_bytes=per.log_bytes,
        emails=per.emails,
        s3_put_requests=per.s3_put_requests,
        s3_get_requests=per.s3_get_requests,
        s3_stored_bytes=per.s3_stored_bytes,
        sqs_requests=per.sqs_requests,
        rejected_per_accepted=per.rejected,
        source=f"measured: run {measurement.run_id}",
        pool_users=per.users_created,
        failure_share=per.failed,
    )


def _stored_bytes(key: str, table: TableUsage, written: Decimal, stack: StackSpec) -> Decimal:
    """Bytes an onboarding leaves in a table: one row, or every item of an append-only table.

    ``written``: the table's items written per onboarding.
    """
    spec = stack.tables.get(key)
    items = written if spec and spec.append_only else Decimal(1)
    return items * exact(table.mean_item_bytes or 0)


def adjusted(per: PerOnboarding, inputs: Inputs) -> PerOnboarding:
    """The shape with the uncertain inputs applied (plain arithmetic: works on arrays).

    Durations scale every function's billed ms (and each function by its own factor); log
    bytes scale; a different invalid share adds (or removes) rejected requests, each one an
    API request, a register invocation and its log lines; stream retries invoke the stream
    functions again, and fewer records per batch invoke them more often; a different failure
    share changes the onboardings that provision (invocations, S3 requests, emails, pool
    users).
    """
    calls = sum(per.invocations.values())
    log_per_call = per.log_bytes / calls if calls else 0
    extra_rejected: Any = 0
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
    completing: Any = 1
    if inputs.failure_share is not None and per.failure_share < 1:
        completing = (1 - inputs.failure_share) / (1 - per.failure_share)
    batches = inputs.stream_batches or {}
    added_calls = extra_rejected
    for key in STREAM_FUNCTIONS:
        if key in invocations:
            factor = (1 + inputs.retry_rate) * batches.get(key, 1)
            if key in COMPLETION_FUNCTIONS:
                factor = factor * completing
            added_calls = added_calls + (factor - 1) * invocations[key]
            invocations[key] = invocations[key] * factor
            billed_ms[key] = billed_ms[key] * factor
    durations = inputs.function_durations or {}
    return replace(
        per,
        api_requests=per.api_requests + extra_rejected,
        invocations=invocations,
        billed_ms={
            k: v * inputs.duration_factor * durations.get(k, 1) for k, v in billed_ms.items()
        },
        log_bytes=(per.log_bytes + added_calls * log_per_call) * inputs.log_factor,
        rejected_per_accepted=per.rejected_per_accepted + extra_rejected,
        emails=per.emails * completing,
        s3_put_requests=per.s3_put_requests * completing,
        s3_get_requests=per.s3_get_requests * completing,
        pool_users=per.pool_users * completing,
        failure_share=per.failure_share if inputs.failure_share is None else inputs.failure_share,
    )


def monthly_quantities(
    users: Any, per: PerOnboarding, stack: StackSpec, stored_onboardings: Any = None
) -> dict[tuple[str, str, str], Any]:
    """Every numeric usage key of the month, keyed (service, resource, key), in bill order.

    Plain arithmetic, so ``users`` and the shape may be Decimals or numpy arrays.
    ``stored_onboardings`` (default: this month's) sets the DynamoDB and S3 storage; logs are
    stored for the template's retention (steady state: monthly ingest x retention months).
    User-pool MAU: this month's new pool users plus the sign-in share of the earlier ones
    (``stored`` is cumulative, this month's included).
    """
    stored = users if stored_onboardings is None else stored_onboardings
    api = stack.api_service
    log_gb = users * per.log_bytes / GIB
    init_ms = per.init_ms or {}
    q: dict[tuple[str, str, str], Any] = {(api, "api", "requests"): users * per.api_requests}
    fixed = _fixed_in(users)
    scheduled = {key: fixed(runs) for key, runs in (stack.scheduled_runs or {}).items()}
    for key in stack.functions:
        if key in scheduled:  # time-driven, not per onboarding: a fixed part of the bill
            runs = scheduled[key]
            q[("lambda", key, "requests")] = runs
            q[("lambda", key, "billed_ms_total")] = runs * fixed(SCHEDULED_MS_PER_RUN)
            q[("lambda", key, "init_ms_total")] = runs * fixed(SCHEDULED_INIT_MS_PER_RUN)
            continue
        q[("lambda", key, "requests")] = users * per.invocations.get(key, 0)
        q[("lambda", key, "billed_ms_total")] = users * per.billed_ms.get(key, 0)
        q[("lambda", key, "init_ms_total")] = users * init_ms.get(key, 0)
    sweeps = sum(scheduled.values(), fixed(ZERO))
    log_gb = log_gb + sweeps * fixed(SCHEDULED_LOG_BYTES_PER_RUN) / GIB
    for key, table in stack.tables.items():
        storage_gb = stored * per.stored_bytes.get(key, 0) / GIB
        reads = users * per.read_units.get(key, 0)
        if table.indexes:  # the sparse in-flight index: only users in flight (Little's law)
            in_flight = users * fixed(IN_FLIGHT_SECONDS) / SECONDS_PER_MONTH
            storage_gb = storage_gb + in_flight * fixed(INDEX_ENTRY_BYTES) / GIB
            reads = reads + sweeps * fixed(SCHEDULED_READ_UNITS_PER_RUN)  # the sweeps' queries
        q[("dynamodb", key, "write_request_units")] = users * per.write_units.get(key, 0)
        q[("dynamodb", key, "read_request_units")] = reads
        q[("dynamodb", key, "storage_gb")] = storage_gb
        q[("dynamodb", key, "pitr_gb")] = storage_gb if table.pitr else 0 * storage_gb
    q[("ses", "welcome", "recipients")] = users * per.emails
    q[("s3", "userspaces", "put_requests")] = users * per.s3_put_requests
    q[("s3", "userspaces", "get_requests")] = users * per.s3_get_requests
    q[("s3", "userspaces", "storage_gb")] = stored * per.s3_stored_bytes / GIB
    q[("cloudwatch", "ops", "alarm_metrics")] = stack.alarm_metrics
    q[("cloudwatch", "ops", "anomaly_alarms")] = stack.anomaly_alarms
    q[("cloudwatch", "ops", "high_resolution_alarm_metrics")] = stack.high_resolution_alarm_metrics
    every_hour = stack.every_hour_metric_series
    q[("cloudwatch", "ops", "custom_metrics")] = (
        metric_months(stack.custom_metric_series - every_hour, users) + every_hour
    )
    q[("cloudwatch", "ops", "log_ingest_gb")] = log_gb
    q[("cloudwatch", "ops", "log_storage_gb")] = log_gb * log_retention_days(stack) / DAYS_PER_MONTH
    for index, queue in enumerate(stack.queues):
        q[("sqs", queue, "requests")] = users * per.sqs_requests * (1 if index == 0 else 0)
    traced = [key for key, fn in stack.functions.items() if fn.tracing]
    q[("xray", "lambda", "traces_recorded")] = (
        users * sum(per.invocations.get(key, 0) for key in traced if key not in scheduled)
        + sum((runs for key, runs in scheduled.items() if key in traced), fixed(ZERO))
    ) * TRACED_SHARE
    q[("budgets", "monthly", "action_enabled_budgets")] = stack.action_budgets
    if stack.user_pool_plan:
        before = stored - users
        before = (before + abs(before)) / 2  # max(0, ...) on floats and arrays alike
        earlier = before * per.pool_users * per.sign_in_share
        q[("cognito", "users", f"mau_{stack.user_pool_plan}")] = users * per.pool_users + earlier
    return q


def _fixed_in(users: Any) -> Callable[[Decimal], Any]:
    """Turns a Decimal constant into the number type of ``users`` (float for numpy arrays)."""
    if isinstance(users, Decimal | int):
        return lambda value: value
    return float


def log_retention_days(stack: StackSpec) -> int:
    """Days of logs kept: the longest retention of any function (never-expire: a year)."""
    days = [fn.log_retention_days or NEVER_EXPIRE_DAYS for fn in stack.functions.values()]
    return max(days, default=NEVER_EXPIRE_DAYS)


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
        fields[("http_api", "api")] = {"request_size_kb": per.api_request_kb}
    return fields


def scenario_resources(
    users: Any, per: PerOnboarding, stack: StackSpec, num: Arithmetic, stored: Any = None
) -> list[dict[str, Any]]:
    """The month's resources (usage-file shape) in ``num``'s number type, defaults filled.

    One function for both paths: the Decimal engine validates and prices these, the Monte
    Carlo model prices them on arrays, with the same components.
    """
    static = static_fields(per, stack)
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for (service, name, key), value in monthly_quantities(users, per, stack, stored).items():
        resource = resources.setdefault(
            (service, name),
            {"service": service, "name": name, **static.get((service, name), {})},
        )
        resource[key] = value
    for resource in resources.values():
        for key, spec in SERVICES[resource["service"]].fields.items():
            if key not in resource:
                resource[key] = spec.default
            if not spec.choices and resource[key] is not None:
                resource[key] = num.number(resource[key])
    return list(resources.values())


@dataclass(frozen=True)
class Scenario:
    """The pipeline as priced: per-onboarding shape, template facts, region, free tier."""

    per: PerOnboarding
    stack: StackSpec
    region: str = DEFAULT_REGION
    free_tier: str = DEFAULT_FREE_TIER
    ses_plan: str = "a-la-carte"
    evidence: RunEvidence | None = None
    """The run's invocations and counts, for the bootstrap (None: documented defaults)."""

    @property
    def shape(self) -> str:
        """The shape priced: ``measured: run <id>`` or ``documented defaults``."""
        return self.per.source

    def describe(self) -> str:
        """Shape, free-tier profile and region, the line every money output carries."""
        return f"{self.shape}; free tier {self.free_tier}; {self.region}"

    def usage(
        self, users: float, inputs: Inputs | None = None, stored_onboardings: float | None = None
    ) -> dict[str, Any]:
        """The usage document (costmodel.pricing.usage) of ``users`` onboardings in a month.

        Exact: Decimal from the shape to every quantity (a float input becomes its exact
        Decimal value).
        """
        per = adjusted(self.per, inputs.in_number(EXACT)) if inputs else self.per
        stored = None if stored_onboardings is None else EXACT.number(stored_onboardings)
        return {
            "region": self.region,
            "free_tier": self.free_tier,
            "ses_plan": self.ses_plan,
            "resources": scenario_resources(EXACT.number(users), per, self.stack, EXACT, stored),
        }

    def bill(
        self, users: float, inputs: Inputs | None = None, stored_onboardings: float | None = None
    ) -> Bill:
        """The exact Decimal bill of ``users`` onboardings in a month."""
        return price_usage(self.usage(users, inputs, stored_onboardings))

    @cached_property
    def fixed_bill(self) -> Bill:
        """The bill of a month with no onboarding (the fixed part), priced once a scenario."""
        return self.bill(0)


def load_scenario(
    measurement: Path | str | None = None,
    *,
    template: Path | str = DEFAULT_TEMPLATE,
    region: str | None = None,
    free_tier: str = DEFAULT_FREE_TIER,
    ses_plan: str = "a-la-carte",
    cold_start_share: Decimal = DEFAULT_COLD_START_SHARE,
    init_ms: Decimal = DEFAULT_INIT_MS,
    sign_in_share: Decimal | float = DEFAULT_SIGN_IN_SHARE,
) -> Scenario:
    """The scenario of a measurement.json (or the documented defaults) and the template.

    The region defaults to the measurement's, else us-east-1. ``cold_start_share`` and
    ``init_ms`` shape the defaults' billed INIT (a measurement has its own).
    """
    stack = read_stack(template)
    evidence = None
    if measurement is None:
        per = default_per_onboarding(stack, cold_start_share, init_ms)
        measured_region = DEFAULT_REGION
    else:
        data = load_measurement(measurement)
        per = per_onboarding_from_measurement(data, stack)
        measured_region = data.region
        run_dir = Path(measurement) if Path(measurement).is_dir() else Path(measurement).parent
        evidence = read_evidence(run_dir, data)
    per = replace(per, sign_in_share=Decimal(str(sign_in_share)))
    return Scenario(per, stack, region or measured_region, free_tier, ses_plan, evidence)


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
    return Estimate(users, scenario.bill(users), scenario.fixed_bill)
