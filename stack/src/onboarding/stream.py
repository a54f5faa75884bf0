"""Stream plumbing shared by the stream functions: the user image, the status gate, and the
partial-batch handler (Powertools ``BatchProcessor`` for DynamoDB Streams)."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from onboarding.observability import bind_user, instrumented, logger
from onboarding.status import Status

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


def user_in_status(record: DynamoDBRecord, expected: Status) -> dict[str, Any] | None:
    """The record's user if its new status is ``expected``; None (logged) for any other."""
    user = user_image(record)
    if user["status"] != expected:
        logger.info("skipped", extra={"status": user["status"], "expected": str(expected)})
        return None
    return user


def partial_batch_handler(record_handler: Callable[..., None]) -> LambdaHandler:
    """A Lambda handler running ``record_handler`` on each record, answering
    ``batchItemFailures`` (it raises when every record fails, so the batch is retried).

    ``record_handler(record)``, or ``record_handler(record, lambda_context)``: Powertools
    passes the Lambda context to a handler with that parameter.
    """
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return instrumented(handler)
