"""The sweeper through its real handler under moto: the sparse in-flight index, re-drives from
the table's state, the bounded attempts, and never a second welcome email.

Sparse index (AWS, "Take advantage of sparse indexes", DynamoDB developer guide): "For any
item in a table, DynamoDB writes a corresponding index entry only if the index sort key
value is present in the item"; the same holds for the partition key, so a settled user
(``in_flight`` removed) is in no index and costs no index write or storage.
"""

import json
import threading

import pytest
from botocore.exceptions import ClientError
from onboarding.adapters.users import UsersTable
from onboarding.domain.redrive import IN_FLIGHT_INDEX
from onboarding.domain.status import Status
from onboarding.handlers import enrich, provision, register, sweeper
from onboarding_events import VALID_BODY, api_request, emitted_metrics, stream_event, stream_record

EVERYONE_IS_OLD = "-3600"  # a bound an hour in the future: every user in flight is stuck


@pytest.fixture
def stuck_now(monkeypatch):
    monkeypatch.setenv("STUCK_AFTER_SECONDS", EVERYONE_IS_OLD)
    monkeypatch.setenv("MAX_REDRIVES", "3")


def registered(aws, lambda_context, email="ada@example.com"):
    response = register.handler(api_request({**VALID_BODY, "email": email}), lambda_context)
    return aws.user(json.loads(response["body"])["user_id"])


def index_ids(aws, status):
    result = aws.dynamodb.query(
        TableName="onramp-test-users",
        IndexName=IN_FLIGHT_INDEX,
        KeyConditionExpression="in_flight = :s",
        ExpressionAttributeValues={":s": {"S": status}},
    )
    return [item["user_id"]["S"] for item in result["Items"]]


def test_in_flight_follows_the_status_and_leaves_the_index_when_settled(aws, lambda_context):
    pending = registered(aws, lambda_context)
    assert pending["in_flight"] == "pending"
    assert index_ids(aws, "pending") == [pending["user_id"]]

    enrich.handler(stream_event(stream_record(pending)), lambda_context)
    processing = aws.user(pending["user_id"])
    assert processing["in_flight"] == "processing"
    assert (index_ids(aws, "pending"), index_ids(aws, "processing")) == ([], [pending["user_id"]])

    provision.handler(stream_event(stream_record(processing, pending, 2)), lambda_context)
    completed = aws.user(pending["user_id"])
    assert completed["status"] == "completed" and "in_flight" not in completed
    assert index_ids(aws, "pending") == index_ids(aws, "processing") == []


def test_users_younger_than_the_bound_are_left_alone(aws, lambda_context, monkeypatch, capsys):
    monkeypatch.setenv("STUCK_AFTER_SECONDS", "600")
    user = registered(aws, lambda_context)
    capsys.readouterr()
    assert sweeper.handler({}, lambda_context) == {"stuck": 0}
    assert aws.user(user["user_id"])["status"] == "pending"
    assert ("StuckUsers", {"service": "onramp"}) in emitted_metrics(capsys.readouterr().out)


def test_a_stuck_user_is_re_driven_step_by_step_to_completed(aws, lambda_context, stuck_now):
    user_id = registered(aws, lambda_context)["user_id"]  # its stream record never came

    assert sweeper.handler({}, lambda_context) == {"stuck": 1, "redriven": 1}
    assert aws.user(user_id)["status"] == "processing"  # enrich, the step pending calls for
    assert sweeper.handler({}, lambda_context) == {"stuck": 1, "redriven": 1}
    done = aws.user(user_id)
    assert (done["status"], done["redrives"]) == ("completed", 2)
    assert len(aws.sent_emails()) == 1
    assert [e["status"] for e in aws.audit(user_id)] == ["pending", "processing", "completed"]
    assert sweeper.handler({}, lambda_context) == {"stuck": 0}


def test_a_user_still_stuck_after_every_re_drive_fails_with_a_reason(
    aws, lambda_context, stuck_now, monkeypatch
):
    pending = registered(aws, lambda_context)
    enrich.handler(stream_event(stream_record(pending)), lambda_context)

    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")

    monkeypatch.setattr(provision, "send_welcome", throttled)
    for _ in range(3):
        assert sweeper.handler({}, lambda_context) == {"stuck": 1, "error": 1}
    assert aws.user(pending["user_id"])["redrives"] == 3
    assert sweeper.handler({}, lambda_context) == {"stuck": 1, "failed": 1}
    failed = aws.user(pending["user_id"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "redrive_exhausted")
    assert "in_flight" not in failed
    assert aws.sent_emails() == []
    assert sweeper.handler({}, lambda_context) == {"stuck": 0}


def test_a_sweep_after_the_email_went_out_completes_without_sending_again(
    aws, lambda_context, stuck_now, monkeypatch
):
    """The stream delivery sent the email and recorded it, then died before completing."""
    pending = registered(aws, lambda_context)
    enrich.handler(stream_event(stream_record(pending)), lambda_context)
    monkeypatch.setattr(provision, "change_status", lambda *args, **kwargs: False)
    record = stream_record(aws.user(pending["user_id"]), pending, 2)
    provision.handler(stream_event(record), lambda_context)
    assert aws.user(pending["user_id"])["welcome_email"]["message_id"]
    monkeypatch.undo()
    monkeypatch.setenv("STUCK_AFTER_SECONDS", EVERYONE_IS_OLD)

    assert sweeper.handler({}, lambda_context) == {"stuck": 1, "redriven": 1}
    assert aws.user(pending["user_id"])["status"] == "completed"
    assert len(aws.sent_emails()) == 1


def test_a_sweep_racing_a_stream_retry_sends_one_email(aws, lambda_context, stuck_now):
    """Both start provisioning the same users at the same moment; the email claim lets one
    send, the other finds its message id and completes (or finds the user settled). (In one
    process the claim-send-record step is also serialised by provision's lock; the embedded
    stack races two processes: tests/integration/test_sweeper.py.)"""
    users = [registered(aws, lambda_context, f"user{i}@example.com") for i in range(4)]
    retry = []
    for pending in users:
        enrich.handler(stream_event(stream_record(pending)), lambda_context)
        retry.append(stream_record(aws.user(pending["user_id"]), pending, len(retry) + 2))
    barrier = threading.Barrier(2)
    results = {}

    def stream_retry():
        barrier.wait()
        results["stream"] = provision.handler(stream_event(*retry), lambda_context)

    def sweep():
        barrier.wait()
        results["sweep"] = sweeper.handler({}, lambda_context)

    threads = [threading.Thread(target=stream_retry), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results["stream"] == {"batchItemFailures": []}
    assert results["sweep"]["stuck"] == 4
    assert {aws.user(u["user_id"])["status"] for u in users} == {"completed"}
    sent = [email.destinations["ToAddresses"][0] for email in aws.sent_emails()]
    assert sorted(sent) == sorted(u["email"] for u in users)  # one each, none twice


def test_two_sweeps_never_both_count_a_re_drive(aws, lambda_context):
    user = registered(aws, lambda_context)
    table = UsersTable()
    assert table.count_redrive(user["user_id"], Status.PENDING, 3, "t1") == 1
    assert table.count_redrive(user["user_id"], Status.PROCESSING, 3, "t2") is None
    assert table.count_redrive(user["user_id"], Status.PENDING, 3, "t3") == 2
    assert table.count_redrive(user["user_id"], Status.PENDING, 2, "t4") is None  # at the bound
