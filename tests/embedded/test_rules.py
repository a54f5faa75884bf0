"""Pure rules of the embedded runtime: DynamoDB capacity, stream delivery, API replies."""

from onramp.local import capacity
from onramp.local.api_payload import reply_from_result
from onramp.local.event_source import PendingRecord, ShardDelivery, StreamEventSource
from onramp.local.invoker import Invocation


def test_item_size_and_units_follow_dynamodb_rules():
    assert capacity.item_size({"user_id": {"S": "u-1"}, "age": {"N": "42"}}) == 15
    assert capacity.number_size("1234500") == 4  # 5 significant digits -> 3 + 1
    assert capacity.value_size({"M": {"a": {"BOOL": True}}}) == 3 + 1 + 1 + 1
    assert capacity.write_units(1024) == 1 and capacity.write_units(1025) == 2
    assert capacity.write_units(0) == 1 and capacity.write_units(10, transactional=True) == 2
    assert capacity.read_units(4097) == 1.0 and capacity.read_units(4097, consistent=True) == 2.0


def _invocation(outcome="ok", value=None):
    return Invocation("f", "req", 0.0, outcome, value, "", 1.0, 1, 0.0, False, 128, 1, 0)


def _delivery(results, **overrides):
    source = StreamEventSource("Fn", "E", "arn:stream", **{"batch_size": 4, **overrides})
    calls, failures = [], []

    def invoke(batch):
        calls.append([r["id"] for r in batch])
        return results.pop(0)

    delivery = ShardDelivery(
        source, "shard-1", invoke, failures.append, "arn:fn", clock=lambda: 100.0
    )
    delivery.add([PendingRecord(i, 99.0, {"id": i}) for i in range(1, 5)])
    return delivery, calls, failures


def test_partial_failure_resumes_from_lowest_failed_sequence():
    failed = _invocation(
        value={"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "4"}]}
    )
    delivery, calls, failures = _delivery([failed, _invocation()], max_retry_attempts=2)
    delivery.deliver()
    delivery.deliver()
    assert calls == [[1, 2, 3, 4], [3, 4]] and failures == [] and delivery.pending == 0


def test_bisect_then_retries_exhausted_sends_failure_record():
    error = _invocation(outcome="error")
    delivery, calls, failures = _delivery(
        [error, error, _invocation(), error],
        bisect_on_error=True,
        max_retry_attempts=0,
        batch_size=2,
    )
    while delivery.pending:
        delivery.deliver()
    assert calls[:3] == [[1, 2], [1], [2, 3]]  # the half after a settled head rejoins the stream
    assert failures[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failures[0]["responseContext"]["functionError"] == "Unhandled"
    assert failures[0]["DDBStreamBatchInfo"]["startSequenceNumber"] == "1"


def test_records_older_than_the_maximum_age_are_not_delivered():
    delivery, calls, failures = _delivery([], max_record_age_s=0)
    assert delivery.deliver() is None and calls == []
    assert failures[0]["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failures[0]["DDBStreamBatchInfo"]["batchSize"] == 4


def test_reply_mapping_of_the_v2_format():
    assert reply_from_result({"a": 1}).body == b'{"a": 1}'
    assert reply_from_result("plain").status == 200
    assert reply_from_result({"statusCode": "x"}).status == 500
    reply = reply_from_result(
        {"statusCode": 201, "body": "aGk=", "isBase64Encoded": True, "cookies": ["k=v"]}
    )
    assert reply.status == 201 and reply.body == b"hi" and ("set-cookie", "k=v") in reply.headers
