"""GetRecords answered from moto's backend: the same wire response as moto's own serializer."""

import json

import boto3
import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto_tables import create_table
from werkzeug.test import Client

from onramp.local.aws.server import ACCOUNT_ID, REGION, MotoServer
from onramp.local.aws.stream_reads import GET_RECORDS_TARGET, fast_get_records
from onramp.local.aws.stream_retention import StreamRetention

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stream_with_records():
    """moto's server with a streamed table holding an INSERT, a MODIFY and a REMOVE."""
    server = MotoServer()
    server.start()
    try:
        create_table(server)
        dynamodb = boto3.client("dynamodb", endpoint_url=server.endpoint_url)
        item = {"id": {"S": "u-1"}, "n": {"N": "1.50"}, "m": {"M": {"l": {"L": [{"BOOL": True}]}}}}
        dynamodb.put_item(TableName="users", Item=item)
        dynamodb.update_item(
            TableName="users",
            Key={"id": {"S": "u-1"}},
            UpdateExpression="SET b = :b, s = :s",
            ExpressionAttributeValues={":b": {"B": b"\x00\xff"}, ":s": {"SS": ["x", "y"]}},
        )
        dynamodb.delete_item(TableName="users", Key={"id": {"S": "u-1"}})
        yield server
    finally:
        server.stop()


def _iterator(server: MotoServer) -> str:
    streams = server.internal_client("dynamodbstreams")
    arn = streams.list_streams(TableName="users")["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    return streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]


def _get_records(app, iterator: str, limit: int) -> dict:
    response = Client(app).post(
        "/",
        data=json.dumps({"ShardIterator": iterator, "Limit": limit}),
        headers={
            "X-Amz-Target": GET_RECORDS_TARGET,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/"
            f"{REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        },
    )
    assert response.status_code == 200
    return json.loads(response.data)


def test_fast_response_equals_motos_own(stream_with_records):
    moto_app = DomainDispatcherApplication(create_backend_app)
    fast_app = fast_get_records(moto_app, StreamRetention(ACCOUNT_ID, REGION))
    iterator = _iterator(stream_with_records)
    expected = _get_records(moto_app, iterator, 2)
    actual = _get_records(fast_app, iterator, 2)
    assert [r["eventName"] for r in actual["Records"]] == ["INSERT", "MODIFY"]
    for mine, motos in zip(actual["Records"], expected["Records"], strict=True):
        assert json.dumps(mine, sort_keys=True) == json.dumps(motos, sort_keys=True)
    following = _get_records(fast_app, actual["NextShardIterator"], 10)["Records"]
    assert [r["eventName"] for r in following] == ["REMOVE"]


def test_boto3_reads_the_fast_response(stream_with_records):
    streams = stream_with_records.internal_client("dynamodbstreams")
    records = streams.get_records(ShardIterator=_iterator(stream_with_records))["Records"]
    modify = records[1]["dynamodb"]
    assert modify["NewImage"]["b"] == {"B": b"\x00\xff"}
    assert modify["OldImage"]["n"] == {"N": "1.50"}
    assert records[0]["dynamodb"]["ApproximateCreationDateTime"].year >= 2025


def test_unknown_iterator_is_motos_error(stream_with_records):
    streams = stream_with_records.internal_client("dynamodbstreams")
    with pytest.raises(streams.exceptions.ClientError):
        streams.get_records(ShardIterator="not-an-iterator")
