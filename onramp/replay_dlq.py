"""Replay dead-lettered stream batches: put their users back through the pipeline.

A stream event source's OnFailure message names a batch, not users: ``DDBStreamBatchInfo``
(stream ARN, shard, first and last sequence number) and the function (``functionArn``).
For each message, the replay:

1. re-reads that range of the shard (``GetShardIterator AT_SEQUENCE_NUMBER`` then
   ``GetRecords`` until past ``endSequenceNumber``) and keeps the records the function's
   event source mapping lets through (its FilterCriteria, Lambda's matching rules);
2. keeps the records whose user is still in the status the record delivered (``pending``
   for enrich, ``processing`` for provision: still stuck at that stage); users that moved on
   are skipped;
3. invokes the function synchronously with those records in Lambda's DynamoDB event shape:
   the handlers are idempotent (conditional writes, the email claim), so a replay can
   never create a second space, policy or email;
4. deletes the message only when the invocation succeeded with no ``batchItemFailures``
   (or nothing was left to replay); otherwise the message stays, visible again.

Stream records expire after 24 hours: an expired range (``TrimmedDataAccessException``, or
a shard that no longer exists) cannot name its users, and the message is kept and reported.
Why invoke rather than re-touch the item: the enrich filter admits only ``INSERT pending``,
which a rewrite of an existing item can never produce.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from onramp.local.streams.event_filter import passes
from onramp.local.streams.event_source import lambda_record

VISIBILITY_TIMEOUT_S = 900  # hides received messages for the whole run; kept ones are released
EMPTY_PAGES_LIMIT = 3
EXPIRED_ERRORS = (
    "TrimmedDataAccessException",
    "ResourceNotFoundException",
    "ExpiredIteratorException",
)


@dataclass(frozen=True)
class InvokeResult:
    """A synchronous invocation: success means no function error and no failed item."""

    ok: bool
    detail: str = ""


@dataclass
class ReplayTarget:
    """Where the dead letters, the stream, the table and the functions are.

    ``sqs``, ``streams``, ``dynamodb``: boto3 clients; ``invoke(function_arn, event)``;
    ``filters(function_arn, stream_arn)``: the mapping's parsed filter patterns.
    """

    sqs: Any
    streams: Any
    dynamodb: Any
    queue_url: str
    region: str
    invoke: Callable[[str, dict[str, Any]], InvokeResult]
    filters: Callable[[str, str], list[dict[str, Any]]]
    table: str | None = None


@dataclass
class MessageReport:
    """What the replay did with one dead-letter message."""

    message_id: str
    function_arn: str = ""
    batch: str = ""
    outcome: str = ""  # replayed | nothing-to-replay | would-replay | expired | failed | unreadable
    replayed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # user id -> its current status
    detail: str = ""

    @property
    def done(self) -> bool:
        """True when the message was settled (and deleted unless a dry run)."""
        return self.outcome in ("replayed", "nothing-to-replay", "would-replay")

    def line(self) -> str:
        """One human line."""
        users = f" users={','.join(self.replayed)}" if self.replayed else ""
        skipped = f" skipped={len(self.skipped)}" if self.skipped else ""
        detail = f" ({self.detail})" if self.detail else ""
        function = self.function_arn.rsplit(":", 1)[-1]
        return f"{self.outcome}: {function} {self.batch}{users}{skipped}{detail}"


def replay_dead_letters(target: ReplayTarget, dry_run: bool = False) -> list[MessageReport]:
    """Replay every message of the queue (once each); the per-message reports."""
    reports, kept = [], []
    for message in _receive_all(target):  # each stays invisible until the run ends
        report = replay_message(target, message["Body"], message["MessageId"], dry_run)
        if report.done and not dry_run:
            target.sqs.delete_message(
                QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        else:
            kept.append(message["ReceiptHandle"])
        reports.append(report)
    for receipt in kept:  # visible again for the next replay (a dry run leaves all as found)
        target.sqs.change_message_visibility(
            QueueUrl=target.queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
        )
    return reports


def replay_message(
    target: ReplayTarget, body: str, message_id: str = "", dry_run: bool = False
) -> MessageReport:
    """Replay one OnFailure message body (see the module docstring for the steps)."""
    report = MessageReport(message_id)
    try:
        record = json.loads(body)
        info = record["DDBStreamBatchInfo"]
        report.function_arn = str(record["requestContext"]["functionArn"])
        stream_arn, shard = str(info["streamArn"]), str(info["shardId"])
        first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    except (ValueError, KeyError, TypeError) as error:
        report.outcome, report.detail = "unreadable", f"not a stream failure record: {error}"
        return report
    report.batch = f"{shard} {first}..{last}"
    try:
        records = list(_read_range(target.streams, stream_arn, shard, first, last))
    except Exception as error:  # botocore ClientError: the range is gone
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code not in EXPIRED_ERRORS:
            raise
        report.outcome = "expired"
        report.detail = f"{code}: stream records expire after 24 h; the users are not named"
        return report
    filters = target.filters(report.function_arn, stream_arn)
    table = target.table or stream_arn.split(":table/", 1)[-1].split("/", 1)[0]
    stuck = []
    for raw in records:
        payload = lambda_record(raw, stream_arn, target.region).payload
        if not passes(filters, payload):
            continue
        user_id, status = _user_and_status(target.dynamodb, table, payload)
        if status == payload["dynamodb"]["NewImage"]["status"]["S"]:
            stuck.append(payload)
            report.replayed.append(user_id)
        else:
            report.skipped[user_id] = status or "missing"
    if not stuck:
        report.outcome = "nothing-to-replay"
        return report
    if dry_run:
        report.outcome = "would-replay"
        return report
    result = target.invoke(report.function_arn, {"Records": stuck})
    report.outcome = "replayed" if result.ok else "failed"
    report.detail = result.detail
    return report


def invoke_result(function_error: str, payload: Any) -> InvokeResult:
    """Judge a synchronous invocation from its function error and its (JSON) result."""
    if function_error:
        message = payload.get("errorMessage", "") if isinstance(payload, dict) else ""
        return InvokeResult(False, f"function error {function_error}: {message}"[:200])
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if failures:
        return InvokeResult(False, f"{len(failures)} record(s) failed again")
    return InvokeResult(True)


def _receive_all(target: ReplayTarget) -> Iterator[dict[str, Any]]:
    while True:
        messages = target.sqs.receive_message(
            QueueUrl=target.queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=VISIBILITY_TIMEOUT_S,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return
        yield from messages


def _read_range(
    streams: Any, stream_arn: str, shard: str, first: int, last: int
) -> Iterator[dict[str, Any]]:
    """The shard's records from ``first`` to ``last`` (sequence numbers, inclusive)."""
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn,
        ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=str(first),
    )["ShardIterator"]
    empty_pages = 0
    while iterator and empty_pages < EMPTY_PAGES_LIMIT:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        iterator = page.get("NextShardIterator")
        empty_pages = 0 if page["Records"] else empty_pages + 1
        for record in page["Records"]:
            sequence = int(record["dynamodb"]["SequenceNumber"])
            if sequence > last:
                return
            if sequence >= first:
                yield record


def _user_and_status(dynamodb: Any, table: str, payload: dict[str, Any]) -> tuple[str, str]:
    keys = payload["dynamodb"]["Keys"]
    item = dynamodb.get_item(TableName=table, Key=keys, ConsistentRead=True).get("Item") or {}
    user_id = keys.get("user_id", {}).get("S", json.dumps(keys))
    return user_id, item.get("status", {}).get("S", "")
