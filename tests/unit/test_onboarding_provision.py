"""Provision through the real handler, with DynamoDB Streams events, under moto."""

import json

import pytest
from botocore.exceptions import ClientError
from onboarding import enrich, provision, register
from onboarding.clients import client
from onboarding.spaces import policy_document
from onboarding_events import VALID_BODY, api_request, emitted_metrics, stream_event, stream_record


def processing_user(aws, lambda_context, **fields):
    """Register and enrich a user; returns (old image, new image) of the pending->processing."""
    response = register.handler(api_request({**VALID_BODY, **fields}), lambda_context)
    pending = aws.user(json.loads(response["body"])["user_id"])
    enrich.handler(stream_event(stream_record(pending)), lambda_context)
    processing = aws.user(pending["user_id"])
    assert processing["status"] == "processing"
    return pending, processing


def provision_event(*transitions, start=10):
    records = [
        stream_record(new, old_image=old, sequence=start + i)
        for i, (old, new) in enumerate(transitions)
    ]
    return stream_event(*records)


def test_processing_user_gets_space_policy_email_and_completes(aws, lambda_context, capsys):
    pending, processing = processing_user(aws, lambda_context)
    user_id = processing["user_id"]
    capsys.readouterr()

    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }

    assert aws.keys("onramp-test-userspaces") == [f"users/{user_id}/.keep"]
    [policy] = aws.policies()
    assert policy["PolicyName"] == f"onramp-user-{user_id}"
    assert policy["Path"] == "/onramp/test/users/"
    version = aws.iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")
    expected_document = policy_document("onramp-test-userspaces", user_id)
    assert version["PolicyVersion"]["Document"] == expected_document
    [email] = aws.sent_emails()
    assert email.source == "welcome@onramp.example.com"
    assert email.destinations["ToAddresses"] == ["Ada.Lovelace@example.com"]
    assert "Hello Ada Lovelace" in email.body
    completed = aws.user(user_id)
    assert completed["status"] == "completed"
    assert completed["welcome_email"]["message_id"] == email.id
    assert completed["space"]["prefix"] == f"users/{user_id}/"
    audit_ids = [entry["event_id"] for entry in aws.audit(user_id)]
    assert audit_ids == ["1#pending", "2#processing", "3#completed"]
    assert emitted_metrics(capsys.readouterr().out) == [("Provisions", {"service": "onramp"})]


def test_redelivery_creates_nothing_twice_and_sends_no_second_email(aws, lambda_context):
    pending, processing = processing_user(aws, lambda_context)
    event = provision_event((pending, processing))
    provision.handler(event, lambda_context)
    after_first = (aws.user(processing["user_id"]), aws.audit(), aws.keys("onramp-test-userspaces"))

    for _ in range(2):
        assert provision.handler(event, lambda_context) == {"batchItemFailures": []}

    assert len(aws.sent_emails()) == 1
    assert len(aws.policies()) == 1
    assert (aws.user(processing["user_id"]), aws.audit(), aws.keys("onramp-test-userspaces")) == (
        after_first
    )


def test_permanent_ses_rejection_fails_with_provisioning_rejected(
    aws, lambda_context, monkeypatch, capsys
):
    pending, processing = processing_user(aws, lambda_context)
    monkeypatch.setenv("SENDER_EMAIL", "unverified@onramp.example.com")  # moto: MessageRejected
    capsys.readouterr()

    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }

    failed = aws.user(processing["user_id"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "provisioning_rejected")
    assert failed["welcome_email"]["error"] == "MessageRejected"
    assert aws.sent_emails() == []
    assert aws.audit(processing["user_id"])[-1]["reason"] == "provisioning_rejected"
    reason = {"service": "onramp", "reason": "provisioning_rejected"}
    assert emitted_metrics(capsys.readouterr().out) == [("Failures", reason)]
    # redelivery after the failure: still no email, still failed
    provision.handler(provision_event((pending, processing)), lambda_context)
    assert aws.sent_emails() == []
    assert aws.user(processing["user_id"])["status"] == "failed"


def _throttle(**_: object) -> None:
    error = {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}
    raise ClientError(error, "SendEmail")


def test_throttled_send_releases_the_claim_and_the_retry_sends_once(aws, lambda_context):
    first = processing_user(aws, lambda_context)
    second = processing_user(aws, lambda_context, email="grace@example.org")
    event = provision_event(first, second)
    ses_events = client("ses").meta.events
    ses_events.register("before-call.ses.SendEmail", _throttle, unique_id="throttle")
    try:
        with pytest.raises(Exception, match="All records failed"):
            provision.handler(event, lambda_context)
    finally:
        ses_events.unregister("before-call.ses.SendEmail", unique_id="throttle")
    assert aws.sent_emails() == []
    assert [u.get("welcome_email") for u in aws.users()] == [None, None]  # claims released

    assert provision.handler(event, lambda_context) == {"batchItemFailures": []}

    assert len(aws.sent_emails()) == 2
    assert {u["status"] for u in aws.users()} == {"completed"}


def test_partial_batch_failure_reports_only_the_failing_record(aws, lambda_context):
    first = processing_user(aws, lambda_context)
    second = processing_user(aws, lambda_context, email="grace@example.org")
    doomed = second[1]["user_id"]

    def deny_second_user(params: dict, **_: object) -> None:
        if doomed in params["Key"]:
            error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
            raise ClientError(error, "PutObject")

    s3_events = client("s3").meta.events
    s3_events.register("before-parameter-build.s3.PutObject", deny_second_user, unique_id="deny")
    event = provision_event(first, second)
    try:
        response = provision.handler(event, lambda_context)
    finally:
        s3_events.unregister("before-parameter-build.s3.PutObject", unique_id="deny")

    failed_sequence = event["Records"][1]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": failed_sequence}]}
    assert aws.user(first[1]["user_id"])["status"] == "completed"
    assert aws.user(doomed)["status"] == "processing"
    assert len(aws.sent_emails()) == 1


def test_existing_claim_is_not_sent_again(aws, lambda_context):
    """A crash after the claim and before the send: the retry completes without an email."""
    pending, processing = processing_user(aws, lambda_context)
    aws.dynamodb.update_item(
        TableName="onramp-test-users",
        Key={"user_id": {"S": processing["user_id"]}},
        UpdateExpression="SET welcome_email = :claim",
        ExpressionAttributeValues={":claim": {"M": {"token": {"S": "crashed-run"}}}},
    )
    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }
    assert aws.sent_emails() == []
    assert aws.user(processing["user_id"])["status"] == "completed"


def test_logs_carry_no_pii(aws, lambda_context, log_output):
    pending, processing = processing_user(aws, lambda_context)
    provision.handler(provision_event((pending, processing)), lambda_context)
    logs = log_output.getvalue()
    assert "provisioned" in logs
    for secret in ("Lovelace", "ada.lovelace", "Ada.Lovelace", "7946", "2079460958"):
        assert secret not in logs
