"""DynamoDB item operations answered by ``dynamodb_json`` say what moto's own serializer says.

Every reply the fast path gives during a run of item operations (every attribute type, every
ReturnValues, projections, consumed capacity, pages, batches, transactions, a failed
condition) is compared, as JSON, with the reply moto's model-driven serializer makes of the
same result; the SDK then parses it as it parses AWS's.
"""

import json

import boto3
import pytest
from moto.core.responses import ActionResult

from onramp.local.aws import dynamodb_json
from onramp.local.aws.server import MotoServer

pytestmark = pytest.mark.integration


@pytest.fixture
def compared(monkeypatch):
    """The operations answered by the fast path, each checked against moto's serializer."""
    answered: list[str] = []
    fast_reply = dynamodb_json.reply

    def checked(result, context):
        fast = fast_reply(result, context)
        if fast is not None:
            status, headers, body = ActionResult.execute_result(ActionResult(result), context)
            assert (fast[0], fast[1]["Content-Type"]) == (status, headers["Content-Type"])
            assert json.loads(fast[2]) == json.loads(body), context.operation_model.name
            answered.append(context.operation_model.name)
        return fast

    monkeypatch.setattr(dynamodb_json, "reply", checked)
    return answered


@pytest.fixture
def dynamodb():
    server = MotoServer()
    url = server.start()
    yield boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
    server.stop()


ITEM = {
    "k": {"S": "a"},
    "g": {"S": "x"},
    "n": {"N": "1.50"},
    "b": {"B": b"\x00\x01bin"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"x", b"\xff"]},
    "m": {"M": {"in": {"L": [{"S": "q"}, {"NULL": True}, {"BOOL": False}]}}},
    "e": {"S": "é ☃ \u2028"},
}


def test_every_item_operation_matches_motos_serializer(compared, dynamodb):
    dynamodb.create_table(
        TableName="items",
        AttributeDefinitions=[
            {"AttributeName": "k", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    table = {"TableName": "items"}
    key = {"k": {"S": "a"}}
    dynamodb.put_item(**table, Item=ITEM)
    old = dynamodb.put_item(
        **table, Item=ITEM, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL"
    )
    assert old["Attributes"]["b"] == {"B": b"\x00\x01bin"}  # blobs round-trip as bytes
    assert old["Attributes"]["bs"]["BS"] == [b"x", b"\xff"]
    assert dynamodb.get_item(**table, Key=key)["Item"]["e"] == {"S": "é ☃ \u2028"}
    assert "Item" not in dynamodb.get_item(**table, Key={"k": {"S": "none"}})
    dynamodb.get_item(
        **table,
        Key=key,
        ProjectionExpression="n, m.#i",
        ExpressionAttributeNames={"#i": "in"},
        ReturnConsumedCapacity="INDEXES",
    )
    for returned in ("NONE", "ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD"):
        dynamodb.update_item(
            **table,
            Key=key,
            UpdateExpression="SET n = n + :one, z = :z ADD c :one REMOVE ns",
            ExpressionAttributeValues={":one": {"N": "1"}, ":z": {"S": "zz"}},
            ReturnValues=returned,
            ReturnConsumedCapacity="TOTAL",
        )
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as failed:
        dynamodb.update_item(
            **table,
            Key=key,
            UpdateExpression="SET n = :z",
            ConditionExpression="attribute_not_exists(k)",
            ExpressionAttributeValues={":z": {"S": "zz"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert failed.value.response["Item"]["k"] == {"S": "a"}  # errors keep moto's path
    for index in range(5):
        dynamodb.put_item(**table, Item={"k": {"S": f"p{index}"}, "g": {"S": "x"}})
    dynamodb.query(
        **table, KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": key["k"]}
    )
    counted = dynamodb.query(
        **table,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
        Select="COUNT",
    )
    assert counted["Count"] == 6
    page = dynamodb.scan(**table, Limit=2)
    assert len(page["Items"]) == 2 and "LastEvaluatedKey" in page
    dynamodb.scan(**table, ExclusiveStartKey=page["LastEvaluatedKey"])
    dynamodb.scan(
        **table,
        FilterExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
        ReturnConsumedCapacity="TOTAL",
    )
    dynamodb.batch_get_item(RequestItems={"items": {"Keys": [key, {"k": {"S": "p1"}}]}})
    dynamodb.batch_write_item(
        RequestItems={
            "items": [
                {"PutRequest": {"Item": {"k": {"S": "bw"}}}},
                {"DeleteRequest": {"Key": {"k": {"S": "p0"}}}},
            ]
        }
    )
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {**table, "Item": {"k": {"S": "tx"}}}},
            {
                "Update": {
                    **table,
                    "Key": key,
                    "UpdateExpression": "SET y = :y",
                    "ExpressionAttributeValues": {":y": {"S": "1"}},
                }
            },
        ]
    )
    dynamodb.transact_get_items(TransactItems=[{"Get": {**table, "Key": key}}])
    deleted = dynamodb.delete_item(**table, Key={"k": {"S": "tx"}}, ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {"k": {"S": "tx"}}
    dynamodb.describe_table(**table)  # not an item operation: moto's path
    assert {"PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan"} <= set(compared)
    assert {"BatchGetItem", "TransactGetItems"} <= set(compared)
    assert "DescribeTable" not in compared
