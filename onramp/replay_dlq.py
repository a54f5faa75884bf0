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

Stream records expire after 24 hours ("In DynamoDB Streams, there is a 24 hour limit on data
retention": ``TrimmedDataAccessException``, DynamoDB Streams API reference): an expired range
(or a shard that no longer exists) cannot name its users, so the replay re-drives from the
Users table instead: the users the sparse in-flight index holds in the function's status
(from its filter) and created before the dead letter was written, each as the record
the stream would have delivered, built from the item as it is now (``INSERT`` for
``pending``, ``MODIFY`` from ``pending`` for ``processing``), through the same invocation.
A user the function did not move on is named in the report (``unsettled=``) and the message
is kept.
Why invoke rather than re-touch the item: the enrich filter admits only ``INSERT pending``,
which a rewrite of an existing item can never produce.

A message from a missed or failed sweep (Scheduler's or Lambda's dead-letter event: the
sweep's own input, ``scheduled_time``...) needs no replay: the next sweep does its work.

Messages another replay holds (received, not yet deleted or released: an interrupted or a
concurrent run) are invisible here; :func:`in_flight_messages` counts them
(``ApproximateNumberOfMessagesNotVisible``) so the command can say so and fail.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from onramp.local.aws.stream_retention import table_name
from onramp.local.streams.event_filter import passes
from onramp.local.streams.event_source import lambda_record

VISIBILITY_TIMEOUT_S = 900  # hides received messages for the whole run; kept ones are released
EMPTY_PAGES_LIMIT = 3
IN_FLIGHT_INDEX = "InFlightIndex"
IN_FLIGHT_ATTRIBUTE = "in_flight"
"""The Users table's sparse index of users in flight (docs/architecture.md; the template's)."""
ARRIVAL_MARGIN_S = 2
"""Clock differences between the function that wrote the user and Lambda's failure record."""
SWEEP_INPUT_KEY = "scheduled_time"
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
    outcome: str = ""
    """replayed | replayed-from-table | nothing-to-replay | would-replay | missed-sweep |
    failed | unreadable"""
    replayed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # user id -> its current status
    unsettled: list[str] = field(default_factory=list)  # replayed, still in flight after it
    detail: str = ""

    @property
    def done(self) -> bool:
        """True when the message was settled (and deleted unless a dry run)."""
        return self.outcome in DONE

    def line(self) -> str:
        """One human line."""
        users = f" users={','.join(self.replayed)}" if self.replayed else ""
        skipped = f" skipped={len(self.skipped)}" if self.skipped else ""
        unsettled = f" unsettled={','.join(self.unsettled)}" if self.unsettled else ""
        detail = f" ({self.detail})" if self.detail else ""
        function = self.function_arn.rsplit(":", 1)[-1]
        return f"{self.outcome}: {function} {self.batch}{users}{skipped}{unsettled}{detail}"


DONE = ("replayed", "replayed-from-table", "nothing-to-replay", "would-replay", "missed-sweep")


def replay_dead_letters(target: ReplayTarget, dry_run: bool = False) -> list[MessageReport]:
    """Replay every message of the queue (once each); the per-message reports.

    Every received message that is not deleted is made visible again, also when the run is
    interrupted (an exception, Ctrl-C), so the next replay sees it at once."""
    reports: list[MessageReport] = []
    held: list[str] = []
    try:
        for batch in _receive_all(target):  # each stays invisible until the run ends
            held += [message["ReceiptHandle"] for message in batch]
            for message in batch:
                report = replay_message(target, message["Body"], message["MessageId"], dry_run)
                if report.done and not dry_run:
                    target.sqs.delete_message(
                        QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
                    held.remove(message["ReceiptHandle"])
                reports.append(report)
    finally:
        for receipt in held:  # visible again (a dry run leaves all as found)
            target.sqs.change_message_visibility(
                QueueUrl=target.queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
    return reports


def in_flight_messages(target: ReplayTarget) -> int:
    """Messages of the queue received by someone and neither deleted nor released yet
    (``ApproximateNumberOfMessagesNotVisible``: another replay's, or an interrupted one's)."""
    attributes = target.sqs.get_queue_attributes(
        QueueUrl=target.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))


def replay_message(
    target: ReplayTarget, body: str, message_id: str = "", dry_run: bool = False
) -> MessageReport:
    """Replay one OnFailure message body (see the module docstring for the steps)."""
    report = MessageReport(message_id)
    try:
        record = json.loads(body)
        if isinstance(record, dict) and SWEEP_INPUT_KEY in record:
            report.outcome = "missed-sweep"
            report.detail = f"sweep of {record[SWEEP_INPUT_KEY]}: the next sweep does its work"
            return report
        info = record["DDBStreamBatchInfo"]
        report.function_arn = str(record["requestContext"]["functionArn"])
        stream_arn, shard = str(info["streamArn"]), str(info["shardId"])
        first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    except (ValueError, KeyError, TypeError) as error:
        report.outcome, report.detail = "unreadable", f"not a stream failure record: {error}"
        return report
    report.batch = f"{shard} {first}..{last}"
    filters = target.filters(report.function_arn, stream_arn)
    table = target.table or table_name(stream_arn)
    records: list[dict[str, Any]] | None = None
    try:
        records = list(_read_range(target.streams, stream_arn, shard, first, last))
    except Exception as error:  # botocore ClientError: the range is gone
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code not in EXPIRED_ERRORS:
            raise
        report.detail = f"{code}: the stream records expired (24 h); re-driven from the table"
        stuck = _from_table(target, table, stream_arn, filters, record, report)
    else:
        stuck = _still_stuck(target, table, stream_arn, filters, records, report)
    if not stuck:
        report.outcome = "nothing-to-replay"
        return report
    if dry_run:
        report.outcome = "would-replay"
        return report
    result = target.invoke(report.function_arn, {"Records": stuck})
    report.unsettled = _unsettled(target.dynamodb, table, stuck)
    if records is None:
        report.outcome = "replayed-from-table" if result.ok and not report.unsettled else "failed"
    else:
        report.outcome = "replayed" if result.ok else "failed"
    report.detail = "; ".join(d for d in (report.detail, result.detail) if d)
    return report


def _still_stuck(
    target: ReplayTarget,
    table: str,
    stream_arn: str,
    filters: list[dict[str, Any]],
    records: list[dict[str, Any]],
    report: MessageReport,
) -> list[dict[str, Any]]:
    """The range's records that pass the filters and whose user is still where they left it."""
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
    return stuck


def _from_table(
    target: ReplayTarget,
    table: str,
    stream_arn: str,
    filters: list[dict[str, Any]],
    failure: dict[str, Any],
    report: MessageReport,
) -> list[dict[str, Any]]:
    """Records rebuilt from the table for the users the expired batch may have held: in flight
    in a status the function's filter admits, created before the dead letter was written
    (its ``timestamp``; the batch's records were all on the stream by then)."""
    written = str(failure.get("timestamp") or "")
    try:
        before = datetime.fromisoformat(written.replace("Z", "+00:00"))
    except ValueError:
        before = datetime.now(UTC)
    cutoff = (before + timedelta(seconds=ARRIVAL_MARGIN_S)).isoformat(timespec="milliseconds")
    stuck: list[dict[str, Any]] = []
    for status in _filtered_statuses(filters):
        for key in _in_flight_keys(target.dynamodb, table, status, cutoff):
            item = target.dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)
            image = item.get("Item") or {}
            if image.get("status", {}).get("S") != status:
                continue  # it moved on since the index saw it
            payload = lambda_record(
                _as_stream_record(image, key, len(stuck)), stream_arn, target.region
            ).payload
            if passes(filters, payload):
                stuck.append(payload)
                report.replayed.append(key["user_id"]["S"])
    return stuck


def _filtered_statuses(filters: list[dict[str, Any]]) -> list[str]:
    """The ``NewImage.status`` values the function's filter patterns admit."""
    statuses: list[str] = []
    for pattern in filters:
        status = pattern.get("dynamodb", {}).get("NewImage", {}).get("status", {}).get("S", [])
        statuses += [s for s in status if isinstance(s, str) and s not in statuses]
    return statuses


def _in_flight_keys(dynamodb: Any, table: str, status: str, cutoff: str) -> Iterator[dict]:
    """Keys of the users in ``status`` created before ``cutoff`` (the sparse in-flight index)."""
    arguments: dict[str, Any] = {
        "TableName": table,
        "IndexName": IN_FLIGHT_INDEX,
        "KeyConditionExpression": "#f = :s AND created_at < :c",
        "ExpressionAttributeNames": {"#f": IN_FLIGHT_ATTRIBUTE},
        "ExpressionAttributeValues": {":s": {"S": status}, ":c": {"S": cutoff}},
    }
    while True:
        page = dynamodb.query(**arguments)
        for item in page.get("Items", []):
            yield {"user_id": item["user_id"]}
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _as_stream_record(image: dict[str, Any], key: dict[str, Any], index: int) -> dict[str, Any]:
    """The stream record (boto3's shape) that would have brought ``image`` to its function:
    an INSERT of a pending user, a MODIFY from pending of a processing one."""
    dynamodb: dict[str, Any] = {
        "Keys": key,
        "NewImage": image,
        "SequenceNumber": str(index + 1),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": time.time(),
    }
    event = "INSERT"
    if image.get("status", {}).get("S") != "pending":
        event = "MODIFY"
        dynamodb["OldImage"] = {**image, "status": {"S": "pending"}}
    return {"eventID": uuid.uuid4().hex, "eventName": event, "dynamodb": dynamodb}


def _unsettled(dynamodb: Any, table: str, replayed: list[dict[str, Any]]) -> list[str]:
    """The replayed users the function did not move on: still in the status it was given
    (an enriched user is then on its way through the stream to provision, so it counts as
    settled by enrich)."""
    unsettled = []
    for payload in replayed:
        user_id, status = _user_and_status(dynamodb, table, payload)
        if status == payload["dynamodb"]["NewImage"]["status"]["S"]:
            unsettled.append(user_id)
    return unsettled


def invoke_result(function_error: str, payload: Any) -> InvokeResult:
    """Judge a synchronous invocation from its function error and its (JSON) result."""
    if function_error:
        message = payload.get("errorMessage", "") if isinstance(payload, dict) else ""
        return InvokeResult(False, f"function error {function_error}: {message}"[:200])
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if failures:
        return InvokeResult(False, f"{len(failures)} record(s) failed again")
    return InvokeResult(True)


def _receive_all(target: ReplayTarget) -> Iterator[list[dict[str, Any]]]:
    """The queue's messages, a received batch at a time (each hidden for the run)."""
    while True:
        messages = target.sqs.receive_message(
            QueueUrl=target.queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=VISIBILITY_TIMEOUT_S,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return
        yield messages


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


def local_targets(
    runtime: Mapping[str, Any],
    client: Callable[[str], Any],
    invoke_local: Callable[[str, dict[str, Any]], dict[str, Any]],
    table: str | None = None,
) -> list[ReplayTarget]:
    """One target per dead-letter queue of an embedded stack, from its runtime description
    (``GET /_onramp/runtime``: functions, event sources, queues). ``invoke_local(key, event)``
    answers as ``POST /_onramp/invoke/<key>`` does (``outcome``, ``error_type``, ``value``);
    ``client(service)`` gives boto3 clients on its AWS."""
    functions = {arn: key for key, arn in runtime["functions"].items()}
    filters = {(s["function_arn"], s["stream_arn"]): s["filters"] for s in runtime["event_sources"]}

    def invoke(function_arn: str, event: dict[str, Any]) -> InvokeResult:
        if function_arn not in functions:
            return InvokeResult(False, f"no local function {function_arn}")
        reply = invoke_local(functions[function_arn], event)
        error = reply["error_type"] if reply["outcome"] != "ok" else ""
        return invoke_result(error, reply["value"])

    sqs, streams, dynamodb = client("sqs"), client("dynamodbstreams"), client("dynamodb")
    return [
        ReplayTarget(
            sqs=sqs,
            streams=streams,
            dynamodb=dynamodb,
            queue_url=url,
            region=runtime["region"],
            invoke=invoke,
            filters=lambda function_arn, stream_arn: filters.get((function_arn, stream_arn), []),
            table=table,
        )
        for url in runtime["dead_letter_queues"]
    ]
