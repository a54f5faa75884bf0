"""Stream event sources on the embedded runtime: partial failures, retries, DLQ, filters."""

import time

import boto3
import pytest

from onramp.local.metering.recorder import Window

pytestmark = pytest.mark.integration

BATCH_IDS = ["b1", "b2", "b3", "b4", "poison", "b5", "b6", "b7"]


@pytest.fixture(scope="module")
def settled(fixture_stack):
    """Write the test items once, wait for the pumps to settle, return the stack."""
    dynamodb = boto3.client("dynamodb", endpoint_url=fixture_stack.endpoint_url)
    table = fixture_stack.resources.table_names["ItemsTable"]
    for item_id in BATCH_IDS:
        dynamodb.put_item(TableName=table, Item={"id": {"S": item_id}, "kind": {"S": "batch"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "o1"}, "kind": {"S": "other"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "s1"}, "kind": {"S": "slow"}})
    assert fixture_stack.wait_until_drained(timeout=30)
    return fixture_stack


def _failure_records(stack, function_name):
    return [
        r
        for r in stack.dead_letters()
        if r["requestContext"]["functionArn"].endswith(function_name)
    ]


def test_failed_record_is_retried_and_later_records_are_not_lost(settled, handler_records):
    deliveries = handler_records("deliveries")
    delivered = [item for batch in deliveries for item in batch]
    assert set(delivered) == set(BATCH_IDS)
    for item_id in ("b1", "b2", "b3", "b4"):
        assert delivered.count(item_id) == 1
    # The first batch's partial response checkpoints past b1..b4; [poison, b5, b6, b7] is then
    # a new batch with its own retries: 1 + MaximumRetryAttempts 2, so poison is invoked 4
    # times in all (this test asserted 3 before; AWS-recorded: LocalStack's AWS-validated
    # test_dynamodb_report_batch_item_failures invokes the failing record 5 times with
    # MaximumRetryAttempts 3, see tests/onramp/local/test_capacity_rules.py).
    assert delivered.count("poison") == 4
    assert all(batch[0] == "poison" for batch in deliveries[1:])
    assert all({"b5", "b6", "b7"} <= set(batch) for batch in deliveries if "poison" in batch)


def test_exhausted_batch_lands_in_the_dlq_with_lambdas_failure_record(settled):
    (record,) = _failure_records(settled, ":function:onramp-local-BatchFunction")
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3  # of the new batch
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": None,  # the function answered; it did not error
    }
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 4  # poison, b5, b6, b7
    assert int(info["endSequenceNumber"]) - int(info["startSequenceNumber"]) == 3
    assert info["streamArn"] == settled.resources.stream_arns["ItemsTable"]
    assert info["shardId"] and info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_filtered_records_invoke_nothing(settled):
    pump = next(p for p in settled.pumps if p.source.function_logical_id == "NeverFunction")
    assert settled.recorder.counters()["invocations"].get("never", 0) == 0
    assert pump.records_seen > 0 and pump.records_filtered == pump.records_seen


def test_handler_outliving_its_timeout_is_a_timed_out_function_error(settled):
    (record,) = _failure_records(settled, ":function:onramp-local-SlowFunction")
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    totals = settled.recorder.totals(Window(0, time.time()), settled.function_specs, {})
    slow = totals.functions["slow"]
    assert slow.timeouts == 1 and slow.errors == 1
    assert slow.duration_ms.max == 1000.0
