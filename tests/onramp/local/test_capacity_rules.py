"""Pure rules of the embedded runtime: DynamoDB capacity, stream delivery, API replies."""

import datetime as dt
import json
import uuid

import pytest

from onramp.local.api.payload import reply_from_result
from onramp.local.metering import capacity
from onramp.local.runtime.invoker import Invocation
from onramp.local.streams.event_source import (
    PendingRecord,
    ShardDelivery,
    StreamEventSource,
    lambda_record,
    retry_backoff_s,
)


def test_item_size_and_units_follow_dynamodb_rules():
    assert capacity.item_size({"user_id": {"S": "u-1"}, "age": {"N": "42"}}) == 15
    assert capacity.number_size("1234500") == 4  # 5 significant digits -> 3 + 1
    assert capacity.value_size({"M": {"a": {"BOOL": True}}}) == 3 + 1 + 1 + 1
    assert capacity.write_units(1024) == 1 and capacity.write_units(1025) == 2
    assert capacity.write_units(0) == 1 and capacity.write_units(10, transactional=True) == 2
    assert capacity.read_units(4097) == 1.0 and capacity.read_units(4097, consistent=True) == 2.0


def _invocation(outcome="ok", value=None, request_id="req"):
    return Invocation("f", request_id, 0.0, outcome, value, "", 1.0, 1, 0.0, False, 128, 1, 0)


class Clock:
    """A settable clock for the delivery rules (seconds)."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _delivery(results, records=4, clock=None, ages=None, **overrides):
    """A ShardDelivery over ``records`` records (ids 1..n, each 1 s old unless ``ages`` says
    otherwise) whose invocations return ``results`` in turn (a callable gets the batch's ids)."""
    source = StreamEventSource("Fn", "E", "arn:stream", **{"batch_size": 4, **overrides})
    calls, failures = [], []

    def invoke(batch):
        ids = [r["id"] for r in batch]
        calls.append(ids)
        return results(ids) if callable(results) else results.pop(0)

    clock = clock or Clock()
    delivery = ShardDelivery(source, "shard-1", invoke, failures.append, "arn:fn", clock=clock)
    ages = ages or {}
    delivery.add(
        [PendingRecord(i, clock.now - ages.get(i, 1.0), {"id": i}) for i in range(1, records + 1)]
    )
    return delivery, calls, failures


def _drain(delivery, poll_s=0.25, limit_s=600.0):
    """Run the pump's loop on the delivery's Clock: every poll, invoke while a batch is due;
    return the invocation times (seconds from the start)."""
    clock = delivery._clock
    times, start = [], clock.now
    while delivery.pending and clock.now - start < limit_s:
        while delivery.ready():
            if delivery.deliver() is not None:
                times.append(clock.now - start)
        clock.now += poll_s
    return times


def _failing_ids(*poison):
    """An invocation result that reports the ``poison`` ids failed (ReportBatchItemFailures)."""

    def result(ids):
        failed = [{"itemIdentifier": str(i)} for i in ids if i in poison]
        return _invocation(value={"batchItemFailures": failed})

    return result


def test_partial_failure_resumes_from_lowest_failed_sequence():
    failed = _invocation(
        value={"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "4"}]}
    )
    delivery, calls, failures = _delivery(
        [failed, _invocation()], max_retry_attempts=2, report_batch_item_failures=True
    )
    delivery.deliver()
    delivery.deliver()
    assert calls == [[1, 2, 3, 4], [3, 4]] and failures == [] and delivery.pending == 0


def test_batch_item_failures_are_ignored_without_report_batch_item_failures():
    # AWS: "Even when your function code returns partial batch failure responses, these
    # responses will not be processed by Lambda unless the ReportBatchItemFailures feature is
    # explicitly turned on" (https://docs.aws.amazon.com/lambda/latest/dg/
    # services-ddb-batchfailurereporting.html).
    delivery, calls, failures = _delivery(_failing_ids(3), max_retry_attempts=2)
    assert _drain(delivery) == [0.0]
    assert calls == [[1, 2, 3, 4]] and failures == []


def test_record_failing_in_partial_responses_is_invoked_once_more_than_the_retry_limit():
    # AWS-recorded: LocalStack's AWS-validated test_dynamodb_report_batch_item_failures
    # (test_lambda_integration_dynamodbstreams.snapshot.json, 2025-11-25): BatchSize 3,
    # MaximumRetryAttempts 3, six items, testId5 fails. testId5 reaches the function 5 times
    # (once in [3, 4, 5], then [5] alone as a new batch: 1 + 3 retries); the OnFailure record
    # says approximateInvokeCount 4, batchSize 1, statusCode 200, functionError null.
    delivery, calls, failures = _delivery(
        _failing_ids(6),
        records=6,
        batch_size=3,
        max_retry_attempts=3,
        report_batch_item_failures=True,
    )
    _drain(delivery)
    assert calls == [[1, 2, 3], [4, 5, 6], [6], [6], [6], [6]]
    assert sum(batch.count(6) for batch in calls) == 5
    (record,) = failures
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": None,
    }
    info = record["DDBStreamBatchInfo"]
    assert (
        info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"] == "6"
    )


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": 123}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"foo": 123}]},
        {"batchItemFailures": [{"foo": None}]},
    ],
)
def test_invalid_partial_response_fails_the_whole_batch(response):
    # AWS-recorded: test_dynamodb_report_batch_item_failure_scenarios (same snapshot file):
    # one record, MaximumRetryAttempts 3: 4 invocations, approximateInvokeCount 4,
    # functionError null; the docs list empty/null itemIdentifier and a wrong key name as
    # complete failures (services-ddb-batchfailurereporting.html).
    delivery, calls, failures = _delivery(
        lambda ids: _invocation(value=response),
        records=1,
        max_retry_attempts=3,
        report_batch_item_failures=True,
    )
    _drain(delivery)
    assert calls == [[1]] * 4
    (record,) = failures
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert record["responseContext"]["functionError"] is None


@pytest.mark.parametrize(
    "response", [[], None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}]
)
def test_empty_partial_responses_are_successes(response):
    # AWS-recorded: test_dynamodb_report_batch_item_success_scenarios (same snapshot file),
    # and the docs' success conditions (services-ddb-batchfailurereporting.html).
    delivery, calls, failures = _delivery(
        lambda ids: _invocation(value=response),
        records=1,
        max_retry_attempts=2,
        report_batch_item_failures=True,
    )
    _drain(delivery)
    assert calls == [[1]] and failures == []


def test_function_error_exhausting_retries_is_unhandled_with_the_invoke_count():
    # AWS-recorded: test_dynamodb_event_source_mapping_with_on_failure_destination_config
    # (same snapshot file): MaximumRetryAttempts 1, a raising function: approximateInvokeCount
    # 2, responseContext statusCode 200, executedVersion $LATEST, functionError "Unhandled".
    delivery, calls, failures = _delivery(
        lambda ids: _invocation("error", request_id=f"req-{len(calls)}"),
        records=1,
        max_retry_attempts=1,
    )
    _drain(delivery)
    (record,) = failures
    assert calls == [[1], [1]]
    assert record["requestContext"]["requestId"] == "req-2"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert list(record) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "DDBStreamBatchInfo",
    ]


def test_a_failed_batch_is_retried_with_the_same_records():
    # "Event source mappings that read from streams retry the entire batch of items"
    # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html).
    clock = Clock()
    delivery, calls, _ = _delivery(
        [_invocation("error"), _invocation()], records=2, clock=clock, max_retry_attempts=1
    )
    delivery.deliver()
    delivery.add([PendingRecord(3, 99.0, {"id": 3})])
    clock.now += 1
    delivery.deliver()
    assert calls == [[1, 2], [1, 2]] and delivery.pending == 1


def test_retries_back_off_a_handful_of_times_a_minute_until_the_maximum_age():
    # AWS-recorded: LocalStack's AWS-validated test_kinesis_maximum_record_age_exceeded
    # [expire-while-retrying] (test_lambda_integration_kinesis.snapshot.json, 2025-11-25; the
    # same stream poller family as DynamoDB): MaximumRetryAttempts -1, MaximumRecordAge 60 s,
    # a function that always fails: the RecordAgeExceeded record says approximateInvokeCount 8
    # and has no responseContext. AWS does not publish its backoff; 0.5 s doubling gives 7
    # invocations in the minute, then the attempt that finds the record too old.
    clock = Clock(1000.0)
    source = StreamEventSource("Fn", "E", "arn:stream", batch_size=1, max_record_age_s=60)
    calls, failures = [], []
    delivery = ShardDelivery(
        source,
        "shard-1",
        lambda batch: calls.append(batch) or _invocation("error"),
        failures.append,
        "arn:fn",
        clock=clock,
    )
    delivery.add([PendingRecord(1, clock.now, {"id": 1})])
    times = _drain(delivery)
    assert times == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    (record,) = failures
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 8
    assert "responseContext" not in record
    assert [retry_backoff_s(n) for n in (1, 2, 3, 8, 20)] == [0.5, 1.0, 2.0, 60.0, 60.0]


def test_record_expired_before_any_invocation():
    # AWS-recorded: test_kinesis_maximum_record_age_exceeded[expire-before-ingestion] and
    # test_kinesis_maximum_record_age_exceeded_discard_records (same snapshot file): no
    # responseContext, approximateInvokeCount 1, a request id (a UUID) although nothing ran;
    # only the expired record is discarded (batchSize 1), the younger ones are delivered.
    delivery, calls, failures = _delivery(
        lambda ids: _invocation(), records=3, ages={1: 61.0}, max_record_age_s=60
    )
    _drain(delivery)
    (record,) = failures
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert (
        str(uuid.UUID(record["requestContext"]["requestId"]))
        == record["requestContext"]["requestId"]
    )
    assert "responseContext" not in record
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1
    assert calls == [[2, 3]]


def test_bisected_halves_are_retried_separately_and_splitting_uses_no_retry():
    # "BisectBatchOnFunctionError, which splits a failed batch into two smaller batches ...
    # Splitting batches doesn't consume the retry quota."
    # (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html); "Lambda
    # breaks the impacted batch of records into two when a function returns an error, and
    # retries them separately" (AWS What's New, 2019-11-25, failure-handling features).
    delivery, calls, failures = _delivery(
        lambda ids: _invocation("error" if 1 in ids else "ok"),
        bisect_on_error=True,
        max_retry_attempts=1,
    )
    _drain(delivery)
    assert calls == [[1, 2, 3, 4], [1, 2], [1], [1], [2], [3, 4]]
    (record,) = failures
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["DDBStreamBatchInfo"]["startSequenceNumber"] == "1"


def test_bisect_with_retry_limit_zero_still_splits():
    delivery, calls, failures = _delivery(
        lambda ids: _invocation("error" if 3 in ids else "ok"),
        bisect_on_error=True,
        max_retry_attempts=0,
    )
    _drain(delivery)
    assert calls == [[1, 2, 3, 4], [1, 2], [3, 4], [3], [4]]
    assert [f["DDBStreamBatchInfo"]["startSequenceNumber"] for f in failures] == ["3"]


def test_partial_response_with_bisect_retries_only_the_remaining_records():
    # "When a partial batch success response is received and both BisectBatchOnFunctionError
    # and ReportBatchItemFailures are turned on, the batch is bisected at the returned
    # sequence number and Lambda retries only the remaining records."
    # (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html)
    delivery, calls, _ = _delivery(
        [_failing_ids(3)([1, 2, 3, 4]), _invocation()],
        bisect_on_error=True,
        report_batch_item_failures=True,
    )
    _drain(delivery)
    assert calls == [[1, 2, 3, 4], [3, 4]]


def test_lambda_record_has_lambdas_shape_and_a_float_creation_time():
    # AWS-recorded: LocalStack's AWS-validated test_dynamodb_event_filter asserts
    # isinstance(ApproximateCreationDateTime, float) on the delivered events; the DynamoDB
    # Streams API rounds it down to the second (StreamRecord.ApproximateCreationDateTime).
    stream_record = {
        "eventID": "e1",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": dt.datetime(2026, 1, 1, 0, 0, 1, 700000, dt.UTC),
            "Keys": {"id": {"S": "a"}},
            "SequenceNumber": "7",
        },
    }
    payload = lambda_record(stream_record, "arn:stream", "us-east-1").payload
    assert (payload["eventVersion"], payload["eventSource"]) == ("1.1", "aws:dynamodb")
    assert (payload["eventSourceARN"], payload["awsRegion"]) == ("arn:stream", "us-east-1")
    created = payload["dynamodb"]["ApproximateCreationDateTime"]
    assert isinstance(created, float) and created == 1767225601.0
    assert json.dumps(created) == "1767225601.0"


def test_reply_mapping_of_the_v2_format():
    assert reply_from_result({"a": 1}).body == b'{"a": 1}'
    assert reply_from_result("plain").status == 200
    assert reply_from_result({"statusCode": "x"}).status == 500
    reply = reply_from_result(
        {"statusCode": 201, "body": "aGk=", "isBase64Encoded": True, "cookies": ["k=v"]}
    )
    assert reply.status == 201 and reply.body == b"hi" and ("set-cookie", "k=v") in reply.headers
