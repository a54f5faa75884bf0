"""Record what the local pipeline did and total it into the measurement.json blocks.

Three feeds, all thread-safe: invocations (``invoker``), metered AWS calls (``aws_traffic``),
API requests (``http_api``), plus the dead letters the stream pumps send. The events go to
on-disk journals (memory stays flat over a long run); the live counters of the status view
are kept as they arrive, with the last ``RECENT_DURATIONS`` durations of each function (its
live p99). Each invocation's event and log text go to ``traces`` (each user's touches, on
disk, bounded), not to the journal. ``totals`` sums the events of a time window into the typed
blocks of the measurement (``costmodel.measurement``) the embedded stack counts; the stack adds
the run's header and onboardings.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from costmodel.measurement import (
    ApiUsage,
    CognitoUsage,
    FunctionUsage,
    LogUsage,
    Percentiles,
    RunTotals,
    S3Usage,
    SesUsage,
    SqsUsage,
    TableUsage,
)
from costmodel.pricing.components.api_gateway import metered_http_requests
from kernel.sam_template import FunctionSpec
from onramp.local.api.http_api import ApiRequest
from onramp.local.aws.traffic import AwsCall
from onramp.local.metering.event_journal import EventJournal
from onramp.local.metering.traces import TraceStore
from onramp.local.runtime.invoker import Invocation

NOTES = (
    "source embedded: moto server on loopback; durations are this machine's, not Lambda's",
    "billed_ms_total includes the INIT phase of cold starts (billed since 2025-08-01)",
    "log bytes: what handlers wrote to stdout/stderr plus Lambda's START/END/REPORT lines",
    "DynamoDB units from item sizes with DynamoDB's rules, not moto's ConsumedCapacity",
)


@dataclass(frozen=True)
class Window:
    """A closed time interval in epoch seconds."""

    start: float
    end: float

    def __contains__(self, moment: float) -> bool:
        return self.start <= moment <= self.end


RECENT_DURATIONS = 1000


class Recorder:
    """Thread-safe event log of one local run."""

    def __init__(self, traces: TraceStore | None = None) -> None:
        self.traces = traces or TraceStore()
        self._recent_ms: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._invocations: EventJournal[Invocation] = EventJournal()
        self._calls: EventJournal[AwsCall] = EventJournal()
        self._requests: EventJournal[ApiRequest] = EventJournal()
        self._dead_letters: list[float] = []
        self._invocation_counts: Counter[str] = Counter()
        self._error_counts: Counter[str] = Counter()
        self._status_counts: Counter[str] = Counter()

    def add_invocation(self, invocation: Invocation) -> None:
        """Record one function invocation (its event and log go to ``traces`` only)."""
        self.traces.add(invocation)
        self._invocations.append(dataclasses.replace(invocation, event=None, log=""))
        with self._lock:
            self._recent_ms.setdefault(invocation.function, deque(maxlen=RECENT_DURATIONS)).append(
                invocation.duration_ms
            )
            self._invocation_counts[invocation.function] += 1
            if invocation.failed:
                self._error_counts[invocation.function] += 1

    def add_call(self, call: AwsCall) -> None:
        """Record one metered AWS request."""
        self._calls.append(call)

    def add_request(self, request: ApiRequest) -> None:
        """Record one API request."""
        self._requests.append(request)
        with self._lock:
            self._status_counts[str(request.status)] += 1

    def add_dead_letter(self, at: float) -> None:
        """Record one failure record sent to an OnFailure queue (an SQS SendMessage)."""
        with self._lock:
            self._dead_letters.append(at)

    def invocations(self, window: Window | None = None) -> list[Invocation]:
        """The recorded invocations (those started in ``window``, if given), oldest first."""
        chosen = [i for i in self._invocations if window is None or i.started_at in window]
        return sorted(chosen, key=lambda i: i.started_at)

    def counters(self) -> dict[str, Any]:
        """Live counters for the status view: invocations and errors by function, API status."""
        with self._lock:
            return {
                "invocations": dict(self._invocation_counts),
                "errors": dict(self._error_counts),
                "api_status_counts": dict(self._status_counts),
                "dead_letters_sent": len(self._dead_letters),
            }

    def recent_durations(self) -> dict[str, Percentiles]:
        """Per function, the percentiles of its last ``RECENT_DURATIONS`` invocations."""
        with self._lock:
            recent = {function: list(values) for function, values in self._recent_ms.items()}
        return {function: percentiles(values) for function, values in recent.items()}

    def totals(
        self, window: Window, specs: Iterable[FunctionSpec], table_keys: Mapping[str, str]
    ) -> RunTotals:
        """The api, functions, dynamodb, s3, cognito, ses, sqs and logs blocks for ``window``.

        ``table_keys`` maps a local table name to its measurement key (``users``, ``audit``).
        """
        invocations = [i for i in self._invocations if i.started_at in window]
        calls = [c for c in self._calls if c.at in window]
        requests = [r for r in self._requests if r.at in window]
        with self._lock:
            dead_letters = sum(1 for t in self._dead_letters if t in window)
        sqs_calls = [c for c in calls if c.service == "sqs"]
        return RunTotals(
            api=_api_block(requests),
            functions={spec.key: _function_block(spec, invocations) for spec in specs},
            dynamodb={
                key: _table_block([c for c in calls if c.table == name])
                for name, key in table_keys.items()
            },
            s3=S3Usage(
                put_requests=_count(calls, s3_class="put"),
                get_requests=_count(calls, s3_class="get"),
                list_requests=_count(calls, s3_class="list"),
                bytes_stored=sum(c.bytes_in for c in calls if c.s3_class == "put"),
            ),
            cognito=CognitoUsage(
                users_created=_count(
                    calls, service="cognito-idp", operation="AdminCreateUser", ok=True
                ),
                requests=_count(calls, service="cognito-idp"),
            ),
            ses=SesUsage(
                messages=sum(1 for c in calls if c.recipients),
                recipients=sum(c.recipients for c in calls),
            ),
            sqs=SqsUsage(
                requests=len(sqs_calls) + dead_letters,
                messages_sent=sum(c.messages for c in sqs_calls) + dead_letters,
                dead_letters=dead_letters,
            ),
            logs=LogUsage(bytes_ingested=sum(i.log_bytes for i in invocations)),
            notes=NOTES,
        )


def percentiles(values: list[float]) -> Percentiles:
    """mean, p50, p95, p99 and max (None for an empty list), rounded to 0.01."""
    if not values:
        return Percentiles(mean=None, p50=None, p95=None, p99=None, max=None)
    data = np.asarray(values, dtype=float)
    p50, p95, p99 = np.percentile(data, [50, 95, 99])
    return Percentiles(
        mean=round(float(data.mean()), 2),
        p50=round(float(p50), 2),
        p95=round(float(p95), 2),
        p99=round(float(p99), 2),
        max=round(float(data.max()), 2),
    )


def _api_block(requests: list[ApiRequest]) -> ApiUsage:
    routed = [r for r in requests if r.route_key]
    return ApiUsage(
        type="http",
        requests=len(requests),
        metered_requests=sum(metered_http_requests(r.request_bytes) for r in routed),
        request_bytes_total=sum(r.request_bytes for r in requests),
        response_bytes_total=sum(r.response_bytes for r in requests),
        status_counts=dict(Counter(str(r.status) for r in requests)),
        latency_ms=percentiles([r.latency_ms for r in requests]),
    )


def _function_block(spec: FunctionSpec, invocations: list[Invocation]) -> FunctionUsage:
    mine = [i for i in invocations if i.function == spec.key]
    return FunctionUsage(
        memory_mb=spec.memory_mb,
        architecture=spec.architecture,
        timeout_s=spec.timeout_s,
        invocations=len(mine),
        errors=sum(1 for i in mine if i.failed),
        timeouts=sum(1 for i in mine if i.outcome == "timeout"),
        records=sum(i.batch_size for i in mine),
        cold_starts=sum(1 for i in mine if i.cold_start),
        init_ms_total=round(sum(i.init_ms for i in mine), 2),
        duration_ms=percentiles([i.duration_ms for i in mine]),
        billed_ms_total=sum(i.billed_ms for i in mine),
        max_memory_used_mb=None,
        log_bytes=sum(i.log_bytes for i in mine),
    )


def _table_block(calls: list[AwsCall]) -> TableUsage:
    sizes = [size for c in calls for size in c.item_bytes]
    return TableUsage(
        write_request_units=sum(c.write_units for c in calls),
        read_request_units=sum(c.read_units for c in calls),
        items_written=sum(c.items_written for c in calls),
        mean_item_bytes=round(sum(sizes) / len(sizes), 2) if sizes else 0.0,
        max_item_bytes=max(sizes, default=0),
    )


def _count(calls: list[AwsCall], ok: bool = False, **fields: str) -> int:
    return sum(
        1
        for c in calls
        if all(getattr(c, k) == v for k, v in fields.items()) and (not ok or c.status < 300)
    )
