"""Stream timings on the embedded runtime: in ``aws`` the pumps keep Lambda's 4 polls a second
and a write changes nothing; in ``fast`` a metered write wakes its table's pumps at once."""

import time

import boto3
import pytest

from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def _write_and_settle(stack: EmbeddedStack, count: int) -> dict[str, dict[str, int]]:
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    table = stack.resources.table_names["ItemsTable"]
    for index in range(count):
        item = {"id": {"S": f"t{index}"}, "kind": {"S": "other"}}  # filtered out everywhere
        dynamodb.put_item(TableName=table, Item=item)
    assert stack.wait_until_drained(timeout=30)
    return {
        p.source.function_logical_id: {
            "polls": p.polls,
            "wakeups": p.wakeups,
            "seen": p.records_seen,
            "filtered": p.records_filtered,
        }
        for p in stack.pumps
    }


def test_aws_timing_polls_four_times_a_second_whatever_is_written(
    fixture_template, tmp_path
) -> None:
    parameters = {"RecordDir": str(tmp_path)}
    with EmbeddedStack(fixture_template, parameters=parameters, stream_timing="aws") as stack:
        started = time.monotonic()
        pumps = _write_and_settle(stack, 5)
        elapsed = time.monotonic() - started
    assert stack.stream_timing.name == "aws"
    for counts in pumps.values():
        assert counts["wakeups"] == 0
        assert counts["polls"] <= 4 * elapsed + 2  # never faster than Lambda's base rate
    never = pumps["NeverFunction"]  # StartingPosition LATEST, after the writes: sees them all
    assert never["seen"] == never["filtered"] == 5


def test_fast_timing_wakes_the_pumps_of_the_written_table(fixture_template, tmp_path) -> None:
    parameters = {"RecordDir": str(tmp_path)}
    with EmbeddedStack(fixture_template, parameters=parameters, stream_timing="fast") as stack:
        pumps = _write_and_settle(stack, 5)
    assert stack.stream_timing.name == "fast"
    for counts in pumps.values():
        assert counts["wakeups"] >= 1
        assert counts["seen"] == counts["filtered"] == 5  # the same records, the same filters
