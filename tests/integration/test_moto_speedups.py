"""``moto_speedups`` changes no answer: the same UpdateItems, with it and without, on two
tables of one moto server, give the same replies, the same errors and the same items."""

import copy
import json
import string

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.parse import JSONParser
from moto.core.responses import get_service_model
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.moto_api._internal import mock_random

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


@pytest.fixture
def dynamodb():
    """A moto server (its start installs the speedups) with two tables, plain and faster."""
    server = MotoServer()
    url = server.start()
    client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
    for table in ("plain", "faster"):
        client.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    yield client
    moto_speedups.install()
    server.stop()


def _both_ways(cases, outcome):
    """Each case on the plain table without the speedups, then on the faster one with them;
    the outcomes must be equal. Returns how each case ended (``ok`` or ``error``)."""
    ended = []
    for case in cases:
        moto_speedups.uninstall()
        plain = outcome("plain", case)
        moto_speedups.install()
        assert outcome("faster", case) == plain, case
        ended.append(plain[0][0])
    return ended


def _answer(call):
    try:
        return ("ok", call().get("Attributes"))
    except ClientError as error:
        return ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])


def test_every_update_answers_as_moto_does_alone(dynamodb):
    key = {"id": {"S": "u"}}
    for table in ("plain", "faster"):
        dynamodb.put_item(TableName=table, Item={**key, **START})

    def update(table, case):
        answer = _answer(
            lambda: dynamodb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", **case)
        )
        return answer, dynamodb.get_item(TableName=table, Key=key).get("Item")

    ended = _both_ways(CASES, update)
    assert ended.count("error") >= 8 and ended.count("ok") >= 5  # both paths tried


def test_items_are_built_and_refused_as_moto_builds_and_refuses_them(dynamodb):
    items = [
        {"id": {"S": "small"}, **START},
        {"id": {"S": "near"}, "a": {"S": "x" * 200_000}, "b": {"S": "y" * 204_000}},
        {"id": {"S": "over"}, "a": {"S": "x" * 200_000}, "b": {"S": "y" * 205_000}},
        {"id": {"S": "bytes"}, "b": {"B": b"\x00" * 404_000}, "k": {"S": "é" * 800}},
    ]

    def put(table, item):
        answer = _answer(lambda: dynamodb.put_item(TableName=table, Item=item))
        return answer, dynamodb.get_item(TableName=table, Key={"id": item["id"]}).get("Item")

    ended = _both_ways(items, put)
    assert ended == ["ok", "ok", "error", "error"]  # the limit is where moto puts it


@pytest.mark.parametrize(
    ("options", "alphabet"),
    [
        ({}, string.ascii_letters + string.digits),
        ({"include_digits": False}, string.ascii_letters),
        ({"lower_case": True}, string.ascii_lowercase + string.digits),
    ],
)
def test_random_strings_are_drawn_from_motos_alphabet(options, alphabet):
    """moto's request ids and names: its length and characters, every one of them drawn, and
    the same string again for the same seed (moto's ``/moto-api/seed``)."""
    moto_speedups.install()
    drawn = [mock_random.get_random_string(length=52, **options) for _ in range(400)]
    assert {len(text) for text in drawn} == {52}
    assert set("".join(drawn)) == set(alphabet)
    mock_random.seed(7)
    first = mock_random.get_random_string(**options)
    mock_random.seed(7)
    assert mock_random.get_random_string(**options) == first


EVERY_TYPE = {
    "id": {"S": "u"}, "n": {"N": "1.5"}, "b": {"B": "AAE="}, "yes": {"BOOL": False},
    "none": {"NULL": True}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
    "bs": {"BS": ["AAE=", "AQI="]}, "m": {"M": {"l": {"L": [{"S": "a"}, {"M": {}}]}}},
}  # fmt: skip
REQUESTS = [
    (
        "PutItem",
        {
            "TableName": "t",
            "Item": EVERY_TYPE,
            "ConditionExpression": "a <> :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}},
            "ReturnValues": "ALL_OLD",
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": "t",
            "Key": {"id": {"S": "u"}},
            "UpdateExpression": "SET a = :v",
            "ExpressionAttributeValues": {":v": {"L": []}},
            "Expected": None,
        },
    ),
    (
        "Query",
        {
            "TableName": "t",
            "KeyConditionExpression": "id = :v",
            "Limit": 3,
            "ExclusiveStartKey": {"id": {"S": "u"}},
            "ExpressionAttributeValues": {":v": {"S": "u"}},
        },
    ),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": EVERY_TYPE}},
                {"Delete": {"TableName": "t", "Key": {"id": {"S": "v"}}}},
            ]
        },
    ),
    (
        "BatchGetItem",
        {"RequestItems": {"t": {"Keys": [{"id": {"S": "u"}}], "ConsistentRead": True}}},
    ),
    ("PutItem", {"TableName": "t", "Item": ["not", "a", "map"]}),  # malformed: as moto ends it
    ("PutItem", {"TableName": "t", "Item": {"id": "not a structure"}}),
    ("PutItem", {"TableName": "t", "Unknown": 1, "Item": {"id": {"S": "u", "N": "1"}}}),
]


def _parsed(operation, body):
    model = get_service_model("dynamodb").operation_model(operation)
    request = {"method": "POST", "values": {}, "headers": {}, "body": json.dumps(body).encode(),
               "url_path": "/", "url_params": {}}  # fmt: skip
    try:
        parsed = JSONParser(model, map_type=dict).parse(request)
    except Exception as error:  # moto's own failure on a malformed body, compared as such
        return ("error", type(error).__name__, str(error))
    return ("ok", parsed, json.dumps(parsed, default=repr))  # key order too


@pytest.mark.parametrize(("operation", "body"), REQUESTS)
def test_requests_are_parsed_as_moto_parses_them(operation, body):
    moto_speedups.uninstall()
    try:
        plain = _parsed(operation, body)
    finally:
        moto_speedups.install()
    assert _parsed(operation, body) == plain


def _shape(value, seen):
    """A value's structure: types, attributes and which objects are the same object."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if id(value) in seen:
        return ("seen", seen[id(value)])
    seen[id(value)] = len(seen)
    if isinstance(value, list):
        return [_shape(item, seen) for item in value]
    return (type(value), {name: _shape(item, seen) for name, item in vars(value).items()})


def _objects(value, found):
    if not isinstance(value, (str, int, float, bool, type(None))) and id(value) not in found:
        found[id(value)] = value
        for item in value if isinstance(value, list) else vars(value).values():
            _objects(item, found)
    return found


@pytest.mark.parametrize("expression", sorted({case["UpdateExpression"] for case in CASES[:7]}))
def test_an_expression_tree_is_copied_as_deepcopy_copies_it(expression):
    """The validators' copy of a parsed tree: the same nodes, parents and values, nothing
    shared with the cached tree but text and numbers."""
    moto_speedups.install()
    tree = UpdateExpressionParser.make(expression)
    copied = moto_speedups._deepcopy(tree)
    assert _shape(copied, {}) == _shape(copy.deepcopy(tree), {})
    assert not set(_objects(copied, {})) & set(_objects(tree, {}))
    typed = DynamoType({"S": "x"})  # not a plain node: deepcopy's own copy
    (copied_value,) = moto_speedups._deepcopy([typed])
    assert copied_value == typed and copied_value is not typed
