"""measurement.json: what one run did, in one schema whether it ran locally or on staging.

The cost model owns this input type (as infracost owns its usage file): frozen dataclasses,
one per block of ``measurement.schema.json``, which stays the file contract. The producers
(the embedded stack's recorder, the CloudWatch collector) build a ``Measurement``; it checks
itself against the schema when built. ``Measurement.per_onboarding`` divides the totals by
the accepted onboardings, the one place that does, exactly (Decimal); the file's
``per_onboarding`` block is that result as JSON numbers.

Numbers typed ``float`` hold the int or float the producer (or the file) gave, so a file
written before the typed model reads back and writes out byte for byte. Optional fields are
``None`` when absent and then left out of the file; ``mean`` and ``max_memory_used_mb`` may be
null, so they are always written.

Example::

    m = Measurement(source="embedded", run_id=..., ..., logs=LogUsage(bytes_ingested=...))
    write_measurement(m, run_dir / "measurement.json")
    m = load_measurement(run_dir)            # a run dir or the file
    m.per_onboarding().invocations["register"]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import jsonschema

from kernel.errors import UsageError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

B = TypeVar("B", bound="DataclassInstance")

SCHEMA_PATH = Path(__file__).with_name("measurement.schema.json")

JsonObject = Mapping[str, Any]
"""A parsed JSON object (already validated against the schema where it is read)."""

NULLABLE = {"nullable": True}
"""Field metadata: the schema allows null, so None is written as null, not left out."""

Source = Literal["embedded", "cloudwatch"]

KEY_ORDER: dict[str, tuple[str, ...]] = {
    "embedded": (
        *("api", "functions", "dynamodb", "s3", "cognito", "ses", "sqs", "logs", "notes"),
        *("schema_version", "source", "run_id", "region", "window", "onboardings"),
        "per_onboarding",
    ),
    "cloudwatch": (
        *("schema_version", "source", "region", "window", "onboardings"),
        *("api", "functions", "dynamodb", "s3", "cognito", "ses", "sqs", "logs", "notes"),
        *("run_id", "per_onboarding"),
    ),
}
"""The top-level key order each producer has always written (so its files round-trip)."""


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every measurement.json satisfies."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def validation_errors(measurement: JsonObject) -> list[str]:
    """Every schema violation as ``path: message``; empty when the measurement is valid."""
    validator = _validator()
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(measurement), key=lambda e: e.path)
    ]


def exact(value: float) -> Decimal:
    """A measured number as the Decimal its JSON text wrote (no rounding on the way)."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def json_value(value: object) -> object:
    """A block (or a mapping, tuple or number of one) as plain JSON values, in field order."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: json_value(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None or f.metadata.get("nullable")
        }
    if isinstance(value, Mapping):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [json_value(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def _block(cls: type[B], data: JsonObject, **nested: object) -> B:
    """A block from its JSON object: the flat fields as read, ``nested`` ones already built."""
    flat = {f.name: data[f.name] for f in fields(cls) if f.name in data and f.name not in nested}
    return cls(**flat, **nested)


@dataclass(frozen=True, kw_only=True)
class Percentiles:
    """A distribution in milliseconds (None: no sample)."""

    mean: float | None = field(default=None, metadata=NULLABLE)
    p50: float | None = field(metadata=NULLABLE)
    p95: float | None = field(metadata=NULLABLE)
    p99: float | None = field(metadata=NULLABLE)
    max: float | None = field(metadata=NULLABLE)


@dataclass(frozen=True, kw_only=True)
class MeasuredWindow:
    """The run's time window: ISO-8601 start and end, length in seconds."""

    start: str
    end: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class Onboardings:
    """What happened to the onboardings the run started."""

    accepted: int
    completed: int
    failed: int
    rejected: int
    lost: int
    failure_reasons: Mapping[str, int] | None = None


@dataclass(frozen=True, kw_only=True)
class ApiUsage:
    """The HTTP API's requests (``metered_requests``: in API Gateway's 512 KB steps)."""

    type: Literal["http", "rest"]
    requests: int
    metered_requests: int
    request_bytes_total: int
    response_bytes_total: int | None = None
    status_counts: Mapping[str, int] | None = None
    latency_ms: Percentiles | None = None


@dataclass(frozen=True, kw_only=True)
class FunctionUsage:
    """One Lambda function's configuration and work (billed ms include billed INIT)."""

    memory_mb: int
    architecture: str  # the schema's enum: arm64 or x86_64 (the template's value, checked)
    timeout_s: float | None = None
    invocations: int
    errors: int
    timeouts: int | None = None
    throttles: int | None = None
    records: int | None = None
    cold_starts: int
    init_ms_total: float
    duration_ms: Percentiles
    billed_ms_total: float
    max_memory_used_mb: float | None = field(default=None, metadata=NULLABLE)
    log_bytes: int


@dataclass(frozen=True, kw_only=True)
class TableUsage:
    """One DynamoDB table's request units and the items written to it."""

    write_request_units: float
    read_request_units: float
    items_written: int | None = None
    mean_item_bytes: float | None = None
    max_item_bytes: int | None = None


@dataclass(frozen=True, kw_only=True)
class S3Usage:
    """S3 requests by pricing class and the bytes PUT."""

    put_requests: int
    get_requests: int
    list_requests: int | None = None
    bytes_stored: int | None = None


@dataclass(frozen=True, kw_only=True)
class CognitoUsage:
    """Users created in the pool and the requests sent to Cognito."""

    users_created: int
    requests: int | None = None


@dataclass(frozen=True, kw_only=True)
class SesUsage:
    """Emails sent and their recipients."""

    messages: int
    recipients: int


@dataclass(frozen=True, kw_only=True)
class SqsUsage:
    """SQS requests, messages sent, and the dead letters among them."""

    requests: int
    messages_sent: int | None = None
    dead_letters: int | None = None


@dataclass(frozen=True, kw_only=True)
class LogUsage:
    """CloudWatch Logs bytes ingested."""

    bytes_ingested: int


@dataclass(frozen=True)
class MeasuredPerOnboarding:
    """A measurement's totals over its accepted onboardings, exact: the one division.

    Tables are kept apart (``write_request_units`` etc. by table key); ``items_written`` is 1
    for a table that did not count its items (one row per onboarding).
    """

    api_requests: Decimal
    api_request_bytes: Decimal
    invocations: Mapping[str, Decimal]
    billed_ms: Mapping[str, Decimal]
    write_request_units: Mapping[str, Decimal]
    read_request_units: Mapping[str, Decimal]
    items_written: Mapping[str, Decimal]
    log_bytes: Decimal
    emails: Decimal
    s3_put_requests: Decimal
    s3_get_requests: Decimal
    s3_stored_bytes: Decimal
    sqs_requests: Decimal
    users_created: Decimal
    rejected: Decimal
    failed: Decimal

    @property
    def write_request_units_total(self) -> Decimal:
        """Write request units over every table."""
        return sum(self.write_request_units.values(), Decimal(0))

    @property
    def read_request_units_total(self) -> Decimal:
        """Read request units over every table."""
        return sum(self.read_request_units.values(), Decimal(0))

    def to_dict(self) -> dict[str, object]:
        """The file's ``per_onboarding`` block (table units summed over the tables)."""
        return {
            "api_requests": float(self.api_requests),
            "api_request_bytes": float(self.api_request_bytes),
            "invocations": json_value(self.invocations),
            "billed_ms": json_value(self.billed_ms),
            "write_request_units": float(self.write_request_units_total),
            "read_request_units": float(self.read_request_units_total),
            "log_bytes": float(self.log_bytes),
            "emails": float(self.emails),
            "s3_put_requests": float(self.s3_put_requests),
            "s3_get_requests": float(self.s3_get_requests),
            "sqs_requests": float(self.sqs_requests),
        }


@dataclass(frozen=True, kw_only=True)
class RunTotals:
    """The blocks a producer counts over a window: all but the run's header and onboardings."""

    api: ApiUsage
    functions: Mapping[str, FunctionUsage]
    dynamodb: Mapping[str, TableUsage]
    s3: S3Usage
    cognito: CognitoUsage
    ses: SesUsage
    sqs: SqsUsage
    logs: LogUsage
    notes: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class Measurement(RunTotals):
    """One run's measurement.json; checked against the schema when built (ValueError)."""

    schema_version: Literal[1] = 1
    source: Source
    run_id: str
    region: str
    window: MeasuredWindow
    onboardings: Onboardings

    @classmethod
    def of(
        cls,
        totals: RunTotals,
        *,
        source: Source,
        run_id: str,
        region: str,
        window: MeasuredWindow,
        onboardings: Onboardings,
    ) -> Measurement:
        """The measurement of a producer's ``totals`` with the run's header and onboardings."""
        counted = {f.name: getattr(totals, f.name) for f in fields(RunTotals)}
        return cls(
            **counted,
            source=source,
            run_id=run_id,
            region=region,
            window=window,
            onboardings=onboardings,
        )

    def __post_init__(self) -> None:
        if self.onboardings.accepted <= 0:
            raise ValueError("no accepted onboarding, so no per-onboarding figures")
        errors = validation_errors(self.to_dict())
        if errors:
            raise ValueError("measurement does not match its schema: " + "; ".join(errors))

    def per_onboarding(self) -> MeasuredPerOnboarding:
        """Totals divided by accepted onboardings (rejected requests' cost rides on them)."""
        accepted = self.onboardings.accepted

        def each(total: float) -> Decimal:
            return exact(total) / accepted

        tables = self.dynamodb.items()
        return MeasuredPerOnboarding(
            api_requests=each(self.api.metered_requests),
            api_request_bytes=each(self.api.request_bytes_total),
            invocations={key: each(f.invocations) for key, f in self.functions.items()},
            billed_ms={key: each(f.billed_ms_total) for key, f in self.functions.items()},
            write_request_units={key: each(t.write_request_units) for key, t in tables},
            read_request_units={key: each(t.read_request_units) for key, t in tables},
            items_written={
                key: Decimal(1) if t.items_written is None else each(t.items_written)
                for key, t in tables
            },
            log_bytes=each(self.logs.bytes_ingested),
            emails=each(self.ses.recipients),
            s3_put_requests=each(self.s3.put_requests),
            s3_get_requests=each(self.s3.get_requests),
            s3_stored_bytes=each(self.s3.bytes_stored or 0),
            sqs_requests=each(self.sqs.requests),
            users_created=each(self.cognito.users_created),
            rejected=each(self.onboardings.rejected),
            failed=each(self.onboardings.failed),
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON value of measurement.json, keys in the order its producer writes them."""
        blocks = {f.name: getattr(self, f.name) for f in fields(self)}
        values = {key: json_value(value) for key, value in blocks.items() if value is not None}
        values["per_onboarding"] = self.per_onboarding().to_dict()
        order = KEY_ORDER[self.source]  # the schema admits only these sources
        return {key: values[key] for key in order if key in values}

    def to_json(self) -> str:
        """measurement.json's text: indented JSON and a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: JsonObject) -> Measurement:
        """A measurement from its JSON value (``per_onboarding``, derived, is not read)."""
        api, notes = data["api"], data.get("notes")
        latency = api.get("latency_ms")
        return _block(
            cls,
            data,
            window=_block(MeasuredWindow, data["window"]),
            onboardings=_block(Onboardings, data["onboardings"]),
            api=_block(
                ApiUsage, api, latency_ms=None if latency is None else _block(Percentiles, latency)
            ),
            functions={
                key: _block(FunctionUsage, f, duration_ms=_block(Percentiles, f["duration_ms"]))
                for key, f in data["functions"].items()
            },
            dynamodb={key: _block(TableUsage, t) for key, t in data["dynamodb"].items()},
            s3=_block(S3Usage, data["s3"]),
            cognito=_block(CognitoUsage, data["cognito"]),
            ses=_block(SesUsage, data["ses"]),
            sqs=_block(SqsUsage, data["sqs"]),
            logs=_block(LogUsage, data["logs"]),
            notes=None if notes is None else tuple(notes),
        )

    @classmethod
    def from_json(cls, text: str, name: str = "measurement") -> Measurement:
        """Parse and validate measurement.json's text; a bad one is a UsageError naming ``name``."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"measurement {name} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise UsageError(f"measurement {name} is not a JSON object")
        errors = validation_errors(data)
        if errors:
            raise UsageError(f"measurement {name} does not match the schema: {errors[0]}")
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise UsageError(f"measurement {name}: {exc}") from exc


def write_measurement(measurement: Measurement, path: Path) -> Path:
    """Write a measurement as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(measurement.to_json(), encoding="utf-8")
    return path


def load_measurement(path: Path | str) -> Measurement:
    """Read and validate a measurement.json (a run directory is accepted too)."""
    path = Path(path)
    if path.is_dir():
        path = path / "measurement.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read measurement {path}: {exc.strerror}") from exc
    return Measurement.from_json(text, str(path))
