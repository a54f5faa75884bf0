"""DataLake (optional; the audit table's stream: ``completed`` entries inserted): one JSON-lines
object per batch and day at ``s3://DATA_LAKE_BUCKET/DATA_LAKE_PREFIX/dt=YYYY-MM-DD/<batch-id>.jsonl``.

It reads the audit stream, not the Users stream: DynamoDB Streams throttles more than two
processes reading one shard, and enrich and provision already read the Users stream. The
completed entry carries the PII-free row provision built (:mod:`onboarding.domain.lake`); ``dt`` is
the stream record's creation date (UTC). ``<batch-id>`` hashes the batch's event ids, so a
retried identical batch overwrites its own object. Only rows before the first failed record
are written: Lambda resumes a stream from the lowest failed sequence number, so the records
after it come again. Delivery is at least once: deduplicate on ``user_id``.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.adapters import config
from onboarding.adapters.clients import client
from onboarding.adapters.observability import instrumented, logger
from onboarding.handlers.stream import MalformedRecord, TimedBatchProcessor, user_image

processor = TimedBatchProcessor()


def _day_and_row(record: DynamoDBRecord) -> tuple[str, dict[str, Any]]:
    """The audit record's partition date (``YYYY-MM-DD``) and the PII-free row it carries."""
    entry = user_image(record)
    created = record.dynamodb.approximate_creation_date_time if record.dynamodb else None
    if created is None:
        raise MalformedRecord(f"stream record {record.event_id} has no ApproximateCreationDateTime")
    row = entry.get("lake")
    if not isinstance(row, dict) or row.get("user_id") != entry["user_id"]:
        raise MalformedRecord(f"audit record {record.event_id} carries no lake row of its user")
    return datetime.fromtimestamp(created, UTC).date().isoformat(), row


def batch_id(records: list[dict[str, Any]]) -> str:
    """A deterministic id for the batch: a hash of its event ids."""
    event_ids = "\n".join(str(record.get("eventID", "")) for record in records)
    return hashlib.sha256(event_ids.encode()).hexdigest()[:24]


def _rows_before_first_failure(
    rows: dict[str, tuple[str, dict[str, Any]]], records: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    by_day: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        sequence = record.get("dynamodb", {}).get("SequenceNumber")
        if sequence not in rows:
            break
        day, row = rows[sequence]
        by_day.setdefault(day, []).append(row)
    return by_day


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (``onboarding.handlers.datalake.handler``); partial batch response."""
    records = event.get("Records", [])
    rows: dict[str, tuple[str, dict[str, Any]]] = {}

    def collect(record: DynamoDBRecord) -> None:
        rows[str(record.dynamodb.sequence_number)] = _day_and_row(record)

    with processor(records=records, handler=collect):
        processor.process()
    logger.thread_safe_remove_keys(["user_id"])
    bucket, prefix, name = config.data_lake_bucket(), config.data_lake_prefix(), batch_id(records)
    for day, day_rows in _rows_before_first_failure(rows, records).items():
        body = "".join(json.dumps(row, sort_keys=True, default=str) + "\n" for row in day_rows)
        client("s3").put_object(
            Bucket=bucket,
            Key=f"{prefix}/dt={day}/{name}.jsonl",
            Body=body.encode("utf-8"),
            ContentType="application/x-ndjson",
        )
        logger.info("lake object written", extra={"dt": day, "rows": len(day_rows)})
    return processor.response()
