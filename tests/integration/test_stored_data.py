"""The stored-data measure the soak subtracts from RSS: it follows what the stores hold."""

import boto3
import pytest
from moto_tables import create_table

from onramp.local.aws.server import MotoServer
from onramp.local.aws.stored_data import allocated_size, clear_stored_data, stored_data_bytes

pytestmark = pytest.mark.integration


def test_sizes_are_counted_as_the_allocator_holds_them():
    assert [allocated_size(n) for n in (1, 16, 17, 512, 513)] == [16, 16, 32, 512, 544]


@pytest.fixture
def filled():
    """A moto server with a table and a bucket; the store sizes while empty; then 50 rows of
    500 bytes and 50 objects put. Yields (dynamodb, s3, sizes while empty)."""
    server = MotoServer()
    server.start()
    try:
        create_table(server, streamed=False)
        dynamodb = boto3.client("dynamodb", endpoint_url=server.endpoint_url)
        s3 = boto3.client("s3", endpoint_url=server.endpoint_url)
        s3.create_bucket(Bucket="spaces")
        empty = stored_data_bytes()
        for n in range(50):
            dynamodb.put_item(
                TableName="users", Item={"id": {"S": f"u-{n}"}, "x": {"S": "y" * 500}}
            )
            s3.put_object(Bucket="spaces", Key=f"users/u-{n}/.keep", Body=b"x")
        yield dynamodb, s3, empty
    finally:
        server.stop()


def test_rows_objects_and_emails_are_counted_and_grow_with_what_is_stored(filled):
    _, _, empty = filled
    stored = stored_data_bytes()
    assert stored["dynamodb items"] - empty["dynamodb items"] > 50 * 500
    assert stored["s3 objects"] > empty["s3 objects"]
    assert stored["ses messages"] == empty["ses messages"]


def test_clearing_empties_the_stores_and_keeps_the_tables_and_buckets(filled):
    dynamodb, s3, empty = filled
    clear_stored_data()
    cleared = stored_data_bytes()
    assert cleared["dynamodb items"] == empty["dynamodb items"]
    assert cleared["s3 objects"] == empty["s3 objects"]
    assert dynamodb.scan(TableName="users")["Count"] == 0
    assert s3.list_objects_v2(Bucket="spaces")["KeyCount"] == 0
    dynamodb.put_item(TableName="users", Item={"id": {"S": "after"}})  # still usable
    assert dynamodb.scan(TableName="users")["Count"] == 1
