"""``moto_speedups`` changes no answer: the same UpdateItems, with it and without, on two
tables of one moto server, give the same replies, the same errors and the same items."""

import boto3
import pytest
from botocore.exceptions import ClientError

from onramp.local.aws import moto_speedups
from onramp.local.aws.server import MotoServer

pytestmark = pytest.mark.integration

START = {
    "status": {"S": "pending"},
    "n": {"N": "1"},
    "tags": {"SS": ["a", "b"]},
    "m": {"M": {"in": {"L": [{"S": "x"}, {"N": "2"}]}, "k": {"S": "v"}}},
    "gone": {"S": "soon"},
}
V = {
    ":s": {"S": "processing"},
    ":p": {"S": "pending"},
    ":one": {"N": "1"},
    ":zero": {"N": "0"},
    ":t": {"SS": ["c"]},
    ":l": {"L": [{"S": "y"}]},
    ":e": {"S": ""},
}
CASES = [
    dict(UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
         ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET n = n + :one, c = if_not_exists(c, :zero) + :one REMOVE gone",
         ExpressionAttributeValues={":one": V[":one"], ":zero": V[":zero"]}),
    dict(UpdateExpression="ADD tags :t, n :one DELETE tags :t",
         ExpressionAttributeValues={":t": V[":t"], ":one": V[":one"]}),  # overlapping paths
    dict(UpdateExpression="ADD tags :t", ExpressionAttributeValues={":t": V[":t"]}),
    dict(UpdateExpression="SET m.#in = list_append(m.#in, :l), m.k2 = :s",
         ExpressionAttributeNames={"#in": "in"},
         ExpressionAttributeValues={":l": V[":l"], ":s": V[":s"]}),
    dict(UpdateExpression="SET #s = :s", ConditionExpression="#s = :p",
         ExpressionAttributeNames={"#s": "status"},
         ExpressionAttributeValues={":s": V[":s"], ":p": V[":p"]}),  # fails once it moved
    dict(UpdateExpression="SET id = :s", ExpressionAttributeValues={":s": V[":s"]}),  # key
    dict(UpdateExpression="SET a = :missing", ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET a = :s REMOVE a", ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET a = :s SET b = :s", ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET a = = :s", ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET n = n + :s", ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET m.nope.deeper = :s", ExpressionAttributeValues={":s": V[":s"]}),
    dict(UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
         ExpressionAttributeValues={":s": V[":s"]}),  # the first case again: the cached parse
]  # fmt: skip


def _outcome(dynamodb, table, case):
    try:
        reply = dynamodb.update_item(
            TableName=table, Key={"id": {"S": "u"}}, ReturnValues="ALL_NEW", **case
        )
        answer = ("ok", reply.get("Attributes"))
    except ClientError as error:
        answer = ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "u"}}).get("Item")
    return answer, item


def test_every_update_answers_as_moto_does_alone():
    server = MotoServer()
    url = server.start()  # installs the speedups
    try:
        dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
        for table in ("plain", "faster"):
            dynamodb.create_table(
                TableName=table,
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
            dynamodb.put_item(TableName=table, Item={"id": {"S": "u"}, **START})
        outcomes = []
        for case in CASES:
            moto_speedups.uninstall()
            plain = _outcome(dynamodb, "plain", case)
            moto_speedups.install()
            faster = _outcome(dynamodb, "faster", case)
            assert faster == plain, case["UpdateExpression"]
            outcomes.append(plain[0][0])
        assert outcomes.count("error") >= 8 and outcomes.count("ok") >= 5  # both paths tried
    finally:
        moto_speedups.install()
        server.stop()


def _put(dynamodb, table, item):
    try:
        dynamodb.put_item(TableName=table, Item=item)
        answer = ("ok",)
    except ClientError as error:
        answer = ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    return answer, dynamodb.get_item(TableName=table, Key={"id": item["id"]}).get("Item")


def test_items_are_built_and_refused_as_moto_builds_and_refuses_them():
    server = MotoServer()
    url = server.start()
    try:
        dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
        for table in ("plain", "faster"):
            dynamodb.create_table(
                TableName=table,
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        items = [
            {"id": {"S": "small"}, **START},
            {"id": {"S": "near"}, "a": {"S": "x" * 200_000}, "b": {"S": "y" * 204_000}},
            {"id": {"S": "over"}, "a": {"S": "x" * 200_000}, "b": {"S": "y" * 205_000}},
            {"id": {"S": "bytes"}, "b": {"B": b"\x00" * 404_000}, "k": {"S": "é" * 800}},
        ]
        outcomes = []
        for item in items:
            moto_speedups.uninstall()
            plain = _put(dynamodb, "plain", item)
            moto_speedups.install()
            faster = _put(dynamodb, "faster", item)
            assert faster == plain, item["id"]
            outcomes.append(plain[0][0])
        assert outcomes == ["ok", "ok", "error", "error"]  # the limit is where moto puts it
    finally:
        moto_speedups.install()
        server.stop()
