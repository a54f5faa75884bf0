"""The console's questions answered from moto's store in place (console_queries): counts,
filters, search, pages newest first, stuck users, the mailbox joined to its users."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from onramp.local.aws import console_queries
from onramp.local.aws.server import REGION

TABLE = "users"


@pytest.fixture
def aws():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb, boto3.client("ses", region_name=REGION)


def put(dynamodb, user_id, status, minutes_ago, reason=None, message_id=None):
    stamp = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="milliseconds")
    item = {
        "user_id": {"S": user_id},
        "status": {"S": status},
        "email": {"S": f"{user_id}@example.com"},
        "created_at": {"S": stamp},
    }
    if reason:
        item["failure_reason"] = {"S": reason}
    if message_id:
        item["welcome_email"] = {"M": {"message_id": {"S": message_id}, "sent_at": {"S": stamp}}}
    dynamodb.put_item(TableName=TABLE, Item=item)


def test_counts_filters_search_and_pages(aws):
    dynamodb, _ = aws
    for n in range(7):
        put(dynamodb, f"ok{n}", "completed", minutes_ago=n)
    put(dynamodb, "bad0", "failed", 1, reason="invalid_phone")
    put(dynamodb, "bad1", "failed", 2, reason="domain_not_allowed")
    page = console_queries.users_page(TABLE, limit=3)
    assert (page["total"], page["matched"]) == (9, 9)
    assert page["by_status"] == {"completed": 7, "failed": 2}
    assert page["by_reason"] == {"invalid_phone": 1, "domain_not_allowed": 1}
    assert [u["user_id"] for u in page["users"]] == ["ok0", "bad0", "ok1"]  # newest first
    pages = [console_queries.users_page(TABLE, offset=o, limit=3)["users"] for o in (0, 3, 6)]
    ids = [u["user_id"] for page in pages for u in page]
    assert len(ids) == len(set(ids)) == 9  # every user once across the pages
    assert [u["user_id"] for u in console_queries.users_page(TABLE, offset=8)["users"]] == ["ok6"]
    failed = console_queries.users_page(TABLE, status="failed", reason="invalid_phone")
    assert [u["user_id"] for u in failed["users"]] == ["bad0"] and failed["matched"] == 1
    assert console_queries.users_page(TABLE, search="OK3@EXAMPLE")["users"][0]["user_id"] == "ok3"
    assert console_queries.users_page(TABLE, search="bad")["matched"] == 2  # id prefix


def test_only_waiting_users_past_the_bound_are_stuck(aws):
    dynamodb, _ = aws
    put(dynamodb, "old-pending", "pending", minutes_ago=30)
    put(dynamodb, "new-pending", "pending", minutes_ago=1)
    put(dynamodb, "old-done", "completed", minutes_ago=30)
    stuck = console_queries.users_page(TABLE, older_than_s=300)
    assert [u["user_id"] for u in stuck["users"]] == ["old-pending"]


def test_the_mailbox_names_each_emails_user(aws):
    dynamodb, ses = aws
    ses.verify_email_identity(EmailAddress="welcome@example.com")
    ids = []
    for n in range(3):
        sent = ses.send_email(
            Source="welcome@example.com",
            Destination={"ToAddresses": [f"u{n}@example.com"]},
            Message={"Subject": {"Data": "Welcome aboard"}, "Body": {"Text": {"Data": f"hi {n}"}}},
        )
        ids.append(sent["MessageId"])
        put(dynamodb, f"u{n}", "completed", minutes_ago=3 - n, message_id=sent["MessageId"])
    page = console_queries.mailbox_page(TABLE, limit=2)
    assert (page["total"], page["matched"]) == (3, 3)
    assert [e["user_id"] for e in page["emails"]] == ["u2", "u1"]  # newest first
    assert [e["message_id"] for e in page["emails"]] == [ids[2], ids[1]]
    assert all(e["message_id"] == e["recorded_message_id"] and e["sent_at"] for e in page["emails"])
    (mine,) = console_queries.mailbox_page(TABLE, user_id="u0")["emails"]
    assert (mine["user_id"], mine["body"], mine["to"]) == ("u0", "hi 0", ["u0@example.com"])
    assert console_queries.mailbox_page(TABLE, user_id="nobody")["emails"] == []
