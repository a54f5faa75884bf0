"""Stream plumbing shared by the stream functions: the user image, the status gate, and the
partial-batch handler (Powertools ``BatchProcessor`` for DynamoDB Streams).

Records of different users are independent, so :class:`ConcurrentBatchProcessor` runs them
side by side on threads (the work is AWS calls: waiting, not CPU); the records of one user
(one partition key) run one after the other in stream order, as Lambda keeps order per key.
A batch then takes about as long as its slowest user's records, not the sum of all of them.
Every batch emits each record's processing time and its failed-record count (EMF), which the
per-record alarms of the template watch.
"""

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.adapters import config
from onboarding.adapters.clients import warm
from onboarding.adapters.observability import bind_user, emit_record_metrics, instrumented, logger
from onboarding.domain.status import Status

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class MalformedRecord(ValueError):
    """A stream record without the user image the function needs (fails that batch item)."""


def user_image(record: DynamoDBRecord) -> dict[str, Any]:
    """The record's NewImage as Python values; binds its user id and correlation id to logs."""
    image = record.dynamodb.new_image if record.dynamodb else {}
    if not image.get("user_id") or not image.get("status"):
        raise MalformedRecord(f"stream record {record.event_id} has no user_id/status NewImage")
    bind_user(image)
    return image


def user_in_status(
    record: DynamoDBRecord, expected: Status, previous: Status | None = None
) -> dict[str, Any] | None:
    """The record's user if its new status is ``expected`` (and, given ``previous``, a change
    with an old image moved it from ``previous``: a later change of a user already in
    ``expected`` is not its move there); None for any other (logged once it is read)."""
    old = record.dynamodb.old_image if record.dynamodb else None
    if previous is not None and old and old.get("status") != previous:
        return None
    user = user_image(record)
    if user["status"] != expected:
        logger.info("skipped", extra={"status": user["status"], "expected": str(expected)})
        return None
    return user


class TimedBatchProcessor(BatchProcessor):
    """Powertools' ``BatchProcessor`` for DynamoDB Streams that times every record and emits
    the per-record metrics when the batch is done (whether or not every record failed)."""

    def __init__(self) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams)
        self.record_ms: list[float] = []

    def _prepare(self) -> None:
        super()._prepare()
        self.record_ms = []

    def _process_record(self, record: dict) -> Any:
        started = time.perf_counter()
        try:
            return super()._process_record(record)
        finally:
            self.record_ms.append((time.perf_counter() - started) * 1000)

    def _clean(self) -> None:
        emit_record_metrics(self.record_ms, len(self.fail_messages))
        super()._clean()


class ConcurrentBatchProcessor(TimedBatchProcessor):
    """Runs the records of different users on up to ``RECORD_THREADS`` threads (the template's
    ``StreamRecordThreads``), each user's records in stream order; results come back in the
    batch's order."""

    def process(self) -> list[tuple]:
        """Process the batch; see the class docstring."""
        groups: dict[str, list[int]] = {}
        for index, record in enumerate(self.records):
            groups.setdefault(partition_key(record), []).append(index)
        results: list[Any] = [None] * len(self.records)

        def run(indexes: list[int]) -> None:
            for index in indexes:
                results[index] = self._process_record(self.records[index])

        threads = max(1, min(config.record_threads(), len(groups)))
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="record") as pool:
            for future in [pool.submit(run, indexes) for indexes in groups.values()]:
                future.result()
        return results


def partition_key(record: dict[str, Any]) -> str:
    """The record's item key (``dynamodb.Keys``) as text: records with the same key are one
    user's, in the order the stream gives them."""
    return json.dumps((record.get("dynamodb") or {}).get("Keys", {}), sort_keys=True)


def partial_batch_handler(
    record_handler: Callable[..., None], services: tuple[str, ...] = ()
) -> LambdaHandler:
    """A Lambda handler running ``record_handler`` on each record, answering
    ``batchItemFailures`` (it raises when every record fails, so the batch is retried).

    ``record_handler(record)``, or ``record_handler(record, lambda_context)``: Powertools
    passes the Lambda context to a handler with that parameter. Records of different users
    run side by side (:class:`ConcurrentBatchProcessor`). The boto3 clients of ``services``
    are created in Lambda's INIT phase (:func:`onboarding.adapters.clients.warm`).
    """
    warm(services)
    processor = ConcurrentBatchProcessor()

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return instrumented(handler)


def seconds_left(context: LambdaContext | None, default: float) -> float:
    """Seconds this invocation has left (``default`` without a Lambda context)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if remaining is not None else default
