"""Lambda's DynamoDB stream event source mapping, as rules (no threads, no HTTP).

``StreamEventSource`` is one template ``Events`` entry of Type DynamoDB. ``lambda_record``
turns a DynamoDB Streams record into the shape Lambda hands to the function. ``ShardDelivery``
is the per-shard delivery state machine: batching window, BatchSize, MaximumRecordAge,
ReportBatchItemFailures (resume from the lowest failed sequence number, later records
come again), BisectBatchOnFunctionError, MaximumRetryAttempts and the OnFailure record.

The rules, each with its AWS source in docs/local-fidelity.md:

- A retry of a failed batch holds the same records; MaximumRetryAttempts N means up to
  1 + N invocations of that batch.
- A partial batch response moves the checkpoint to the lowest failed sequence number; the
  records from there on are a new batch with its own retry count (AWS-recorded: with
  MaximumRetryAttempts 3 the failing record is invoked 5 times, approximateInvokeCount 4).
- BisectBatchOnFunctionError splits a batch that raised into two batches tried one after
  the other; splitting consumes no retry.
- Retries of one batch back off: 0.5 s before the first, doubling, capped at 60 s
  (``retry_backoff_s``), which gives the 8 attempts AWS recorded for a record retried until
  its 60 s maximum age.
- A batchItemFailures response counts only when ReportBatchItemFailures is enabled.
"""

from __future__ import annotations

import base64
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from onramp.local.metering import capacity
from onramp.local.runtime.invoker import Invocation
from onramp.local.streams.event_filter import parse_filter_criteria, passes

INFINITE = -1
RETRY_BACKOFF_FIRST_S = 0.5
RETRY_BACKOFF_CAP_S = 60.0


@dataclass(frozen=True)
class StreamEventSource:
    """One DynamoDB event source mapping of a function, read from the template."""

    function_logical_id: str
    event_name: str
    stream_arn: str
    starting_position: str = "LATEST"
    batch_size: int = 100
    batching_window_s: float = 0.0
    filters: list[dict[str, Any]] = field(default_factory=list)
    report_batch_item_failures: bool = False
    bisect_on_error: bool = False
    max_retry_attempts: int = INFINITE
    max_record_age_s: int = INFINITE
    on_failure_arn: str | None = None
    enabled: bool = True

    @classmethod
    def from_event(
        cls, function_logical_id: str, event_name: str, properties: Mapping[str, Any]
    ) -> StreamEventSource:
        """Build from an Events entry's resolved Properties (SAM's names and defaults)."""
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {})
        return cls(
            function_logical_id=function_logical_id,
            event_name=event_name,
            stream_arn=str(properties["Stream"]),
            starting_position=str(properties.get("StartingPosition", "LATEST")),
            batch_size=int(properties.get("BatchSize", 100)),
            batching_window_s=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
            filters=parse_filter_criteria(properties.get("FilterCriteria")),
            report_batch_item_failures="ReportBatchItemFailures"
            in properties.get("FunctionResponseTypes", []),
            bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
            max_retry_attempts=int(properties.get("MaximumRetryAttempts", INFINITE)),
            max_record_age_s=int(properties.get("MaximumRecordAgeInSeconds", INFINITE)),
            on_failure_arn=destination.get("Destination"),
            enabled=bool(properties.get("Enabled", True)),
        )


@dataclass(frozen=True)
class PendingRecord:
    """A record waiting for delivery: its sequence number, arrival time and Lambda payload."""

    sequence: int
    arrival: float
    payload: dict[str, Any]


def lambda_record(stream_record: Mapping[str, Any], stream_arn: str, region: str) -> PendingRecord:
    """A DynamoDB Streams record (as boto3 returns it) in the shape Lambda delivers.

    moto differs from AWS: eventVersion 1.0 (AWS 1.1), no eventSourceARN, a datetime
    ApproximateCreationDateTime (AWS: epoch seconds as a JSON float, rounded down to the
    second) and an inflated SizeBytes.
    """
    source = stream_record["dynamodb"]
    created = source.get("ApproximateCreationDateTime")
    arrival = (
        created.timestamp() if isinstance(created, datetime) else float(created or time.time())
    )
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": float(math.floor(arrival)),
        "Keys": _json_safe(source["Keys"]),
        "SequenceNumber": str(source["SequenceNumber"]),
        "SizeBytes": 0,
        "StreamViewType": source.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
    }
    for image in ("NewImage", "OldImage"):
        if image in source:
            dynamodb[image] = _json_safe(source[image])
    dynamodb["SizeBytes"] = sum(
        capacity.item_size(dynamodb.get(part)) for part in ("Keys", "NewImage", "OldImage")
    )
    payload = {
        "eventID": stream_record["eventID"],
        "eventName": stream_record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    return PendingRecord(int(source["SequenceNumber"]), arrival, payload)


class ShardDelivery:
    """Deliver one shard's (already filtered) records to a function with Lambda's retry rules.

    A failed batch keeps its records for its retries (newer records wait behind it); a
    bisected batch becomes two batches tried one after the other; the records after a
    partial batch response's checkpoint become a new batch with its own retry count.
    """

    def __init__(
        self,
        source: StreamEventSource,
        shard_id: str,
        invoke: Callable[[list[dict[str, Any]]], Invocation],
        send_failure: Callable[[dict[str, Any]], None],
        function_arn: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.shard_id = shard_id
        self._invoke = invoke
        self._send_failure = send_failure
        self._function_arn = function_arn
        self._clock = clock
        self._pending: list[PendingRecord] = []
        self._first_buffered_at: float | None = None
        self._batches: list[int] = []  # sizes of batches already formed; the first is current
        self._invocations = 0  # of the current batch
        self._retries = 0  # retries the current batch used (a split uses none)
        self._retry_at = 0.0

    @property
    def pending(self) -> int:
        """Records waiting (including a batch being retried)."""
        return len(self._pending)

    @property
    def oldest_pending(self) -> int | None:
        """The lowest sequence number waiting (None when nothing is)."""
        pending = self._pending
        return pending[0].sequence if pending else None

    def age(self, seconds: float) -> None:
        """The waiting records became ``seconds`` older (a test making time pass for them)."""
        self._pending = [_older(record, seconds) for record in self._pending]

    def add(self, records: list[PendingRecord]) -> int:
        """Queue the records that pass the filters; return how many were filtered out."""
        kept = [r for r in records if passes(self.source.filters, r.payload)]
        if kept and not self._pending:
            self._first_buffered_at = self._clock()
        self._pending.extend(kept)
        return len(records) - len(kept)

    def ready(self) -> bool:
        """A batch is due: its retry backoff ran out, BatchSize is reached, or the window ended."""
        if not self._pending:
            return False
        if self._batches:
            return self._clock() >= self._retry_at
        if len(self._pending) >= self.source.batch_size:
            return True
        waited = self._clock() - (self._first_buffered_at or self._clock())
        return waited >= self.source.batching_window_s

    def deliver(self) -> Invocation | None:
        """Discard too-old records (then None), or invoke the function on the next batch."""
        if self._expire_old_records() or not self._pending:
            return None
        size = self._batches[0] if self._batches else self.source.batch_size
        batch = self._pending[:size]
        invocation = self._invoke([r.payload for r in batch])
        self._invocations += 1
        if invocation.failed:
            self._on_function_error(batch, invocation)
        else:
            self._on_response(batch, invocation)
        return invocation

    def _on_response(self, batch: list[PendingRecord], invocation: Invocation) -> None:
        failed = (
            self._reported_failures(batch, invocation.value)
            if self.source.report_batch_item_failures
            else set()
        )
        if failed is None:  # an invalid response: the whole batch failed
            self._retry_or_discard(batch, invocation, function_error=None)
        elif not failed:
            self._settle(len(batch))
        else:
            done = sum(1 for r in batch if r.sequence < min(failed))
            if not done:
                self._retry_or_discard(batch, invocation, function_error=None)
                return
            self._settle(done)
            self._batches.insert(0, len(batch) - done)

    def _on_function_error(self, batch: list[PendingRecord], invocation: Invocation) -> None:
        if self.source.bisect_on_error and len(batch) > 1:
            half = math.ceil(len(batch) / 2)
            self._batches[:1] = [half, len(batch) - half]
            self._invocations = self._retries = 0
            return
        self._retry_or_discard(batch, invocation, function_error="Unhandled")

    def _retry_or_discard(
        self, batch: list[PendingRecord], invocation: Invocation, function_error: str | None
    ) -> None:
        limit = self.source.max_retry_attempts
        if limit != INFINITE and self._retries >= limit:
            self._send_failure(
                self._failure_record(
                    batch, "RetryAttemptsExhausted", invocation.request_id, function_error
                )
            )
            self._settle(len(batch))
            return
        self._retries += 1
        self._batches[:1] = [len(batch)]
        self._retry_at = self._clock() + retry_backoff_s(self._retries)

    def _expire_old_records(self) -> bool:
        """Send the records of the next batch older than MaximumRecordAge to OnFailure."""
        limit = self.source.max_record_age_s
        if limit == INFINITE or not self._pending:
            return False
        now = self._clock()
        span = min(self._batches[0] if self._batches else self.source.batch_size, self.pending)
        expired = 0
        while expired < span and now - self._pending[expired].arrival > limit:
            expired += 1
        if not expired:
            return False
        records = self._pending[:expired]
        self._send_failure(self._failure_record(records, "RecordAgeExceeded", str(uuid.uuid4())))
        if self._batches and expired < self._batches[0]:
            del self._pending[:expired]
            self._batches[0] -= expired
        else:
            self._settle(expired)
        return True

    def _settle(self, count: int) -> None:
        """Checkpoint past the first ``count`` pending records: the current batch is done."""
        del self._pending[:count]
        del self._batches[:1]
        self._invocations = self._retries = 0
        self._retry_at = 0.0
        self._first_buffered_at = self._clock() if self._pending else None

    @staticmethod
    def _reported_failures(batch: list[PendingRecord], value: Any) -> set[int] | None:
        """Sequence numbers reported failed; None when the response names an unknown record."""
        if not isinstance(value, dict) or not value.get("batchItemFailures"):
            return set()
        sequences = {r.sequence for r in batch}
        failed = set()
        for failure in value["batchItemFailures"]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier is None or not str(identifier).isdigit():
                return None
            if int(identifier) not in sequences:
                return None
            failed.add(int(identifier))
        return failed

    def _failure_record(
        self,
        records: list[PendingRecord],
        condition: str,
        request_id: str,
        function_error: str | None = None,
    ) -> dict[str, Any]:
        """The record Lambda sends to an OnFailure destination for a stream batch.

        RetryAttemptsExhausted: ``approximateInvokeCount`` counts the batch's invocations and a
        ``responseContext`` describes the last one (``functionError`` null unless the function
        erred). RecordAgeExceeded: no ``responseContext``; the count also includes the attempt
        that found the records too old (1 when the function never ran).
        """
        exhausted = condition == "RetryAttemptsExhausted"
        record: dict[str, Any] = {
            "requestContext": {
                "requestId": request_id,
                "functionArn": self._function_arn,
                "condition": condition,
                "approximateInvokeCount": self._invocations + (0 if exhausted else 1),
            }
        }
        if exhausted:
            record["responseContext"] = {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": function_error,
            }
        return record | {
            "version": "1.0",
            "timestamp": _iso(self._clock(), milliseconds=True),
            "DDBStreamBatchInfo": {
                "shardId": self.shard_id,
                "startSequenceNumber": str(records[0].sequence),
                "endSequenceNumber": str(records[-1].sequence),
                "approximateArrivalOfFirstRecord": _iso(records[0].arrival),
                "approximateArrivalOfLastRecord": _iso(records[-1].arrival),
                "batchSize": len(records),
                "streamArn": self.source.stream_arn,
            },
        }


def _older(record: PendingRecord, seconds: float) -> PendingRecord:
    dynamodb = {**record.payload["dynamodb"]}
    dynamodb["ApproximateCreationDateTime"] = float(math.floor(record.arrival - seconds))
    payload = {**record.payload, "dynamodb": dynamodb}
    return PendingRecord(record.sequence, record.arrival - seconds, payload)


def retry_backoff_s(retry: int) -> float:
    """Seconds before the ``retry``-th retry of one batch: 0.5 s doubling, capped at a minute."""
    return min(RETRY_BACKOFF_FIRST_S * 2 ** (retry - 1), RETRY_BACKOFF_CAP_S)


def _iso(epoch: float, milliseconds: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    if milliseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_safe(value: Any) -> Any:
    """boto3 decodes B/BS values to bytes; Lambda's JSON event carries them base64-encoded."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_json_safe(v) for v in value]
    return value
