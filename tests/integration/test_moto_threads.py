"""The embedded AWS answers concurrent requests as DynamoDB does: each from one consistent view.

DynamoDB serves a Query from a snapshot of the index (an item is in it or not; "Global
secondary indexes": an item without the index key is not in a sparse index). moto's
backends are not thread-safe and the server answers each connection on its own thread:
before ``BACKEND_LOCK``, a Query on a sparse index raised ``KeyError`` (HTTP 500) when an
UpdateItem removed the key between the Query's selection and its sort (seen in the soak,
reproduced here by widening that gap to a few milliseconds).
"""

import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from onramp.local.aws.server import MotoServer, aws_client
from tests.users_table import users_table

pytestmark = pytest.mark.integration

USERS = 200
SECONDS = 3.0
GAP_S = 0.005  # between a Query's selection of items and its sort
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def _table(dynamodb) -> None:
    dynamodb.create_table(**users_table("users"))
    for n in range(USERS):
        item = {
            "user_id": {"S": f"u{n}"},
            "in_flight": {"S": "pending"},
            "created_at": {"S": f"{n:05d}"},
        }
        dynamodb.put_item(TableName="users", Item=item)


@pytest.fixture
def slow_sort(monkeypatch):
    """moto's Query sorting its selected items ``GAP_S`` later than it would."""
    sort = Table.sorted_items

    def later(self, *args):
        time.sleep(GAP_S)
        return sort(self, *args)

    monkeypatch.setattr(Table, "sorted_items", later)


def test_queries_on_a_sparse_index_never_fail_while_updates_move_items_out_of_it(slow_sort):
    server = MotoServer()
    url = server.start()
    errors: list[str] = []
    try:
        _table(aws_client(url, "dynamodb"))
        until = time.monotonic() + SECONDS

        def toggle(offset: int) -> None:
            dynamodb, n = aws_client(url, "dynamodb", NO_RETRIES), 0
            while time.monotonic() < until:
                key, n = {"user_id": {"S": f"u{(7 * n + offset) % USERS}"}}, n + 1
                change = (
                    {"UpdateExpression": "REMOVE in_flight"}
                    if n % 2
                    else {
                        "UpdateExpression": "SET in_flight = :p",
                        "ExpressionAttributeValues": {":p": {"S": "pending"}},
                    }
                )
                try:
                    dynamodb.update_item(TableName="users", Key=key, **change)
                except ClientError as error:
                    errors.append(str(error))

        def query() -> None:
            dynamodb = aws_client(url, "dynamodb", NO_RETRIES)
            while time.monotonic() < until:
                try:
                    dynamodb.query(
                        TableName="users",
                        IndexName="InFlightIndex",
                        KeyConditionExpression="in_flight = :p",
                        ExpressionAttributeValues={":p": {"S": "pending"}},
                    )
                except ClientError as error:
                    errors.append(str(error))

        threads = [threading.Thread(target=toggle, args=(k,)) for k in range(3)]
        threads += [threading.Thread(target=query) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert errors == []


def test_a_long_poll_receives_a_message_sent_while_it_waits():
    """SQS ReceiveMessage with WaitTimeSeconds answers as soon as a message arrives (SQS
    developer guide, "Short and long polling"): the lock must not hold the send back."""
    server = MotoServer()
    url = server.start()
    try:
        sqs = aws_client(url, "sqs")
        queue = sqs.create_queue(QueueName="waiting")["QueueUrl"]
        sender = threading.Timer(0.5, lambda: sqs.send_message(QueueUrl=queue, MessageBody="hi"))
        started = time.monotonic()
        sender.start()
        received = aws_client(url, "sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=5)
        sender.join()
    finally:
        server.stop()
    assert [m["Body"] for m in received.get("Messages", [])] == ["hi"]
    assert time.monotonic() - started < 4
