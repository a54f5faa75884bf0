"""Provision through the real handler, with DynamoDB Streams events, under moto."""

import dataclasses
import json
import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from onboarding.adapters.audit import AuditLog
from onboarding.adapters.clients import client
from onboarding.adapters.dynamo import to_item
from onboarding.adapters.users import UsersTable
from onboarding.domain.email_claim import LEASE, new_claim
from onboarding.handlers import enrich, provision, register
from onboarding_events import VALID_BODY, api_request, outcome_metrics, stream_event, stream_record


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


def test_processing_user_gets_space_sign_in_email_and_completes(aws, lambda_context, capsys):
    pending, processing = processing_user(aws, lambda_context)
    user_id = processing["user_id"]
    capsys.readouterr()

    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }

    assert aws.keys("onramp-test-userspaces") == [f"users/{user_id}/.keep"]
    [pool_user] = aws.pool_users()
    assert pool_user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert pool_user["Attributes"]["email"] == "Ada.Lovelace@example.com"
    assert pool_user["Attributes"]["custom:user_id"] == user_id
    [email] = aws.sent_emails()
    assert email.source == "welcome@onramp.example.com"
    assert email.destinations["ToAddresses"] == ["Ada.Lovelace@example.com"]
    assert "Hello Ada Lovelace" in email.body
    [password] = re.findall(r"^    (\S+)$", email.body, flags=re.MULTILINE)
    assert "Sign in with the email address this message was sent to" in email.body
    assert "Ada.Lovelace@example.com" not in email.body  # a mail client would link it
    signed_in = aws.idp.admin_initiate_auth(
        UserPoolId=os.environ["USER_POOL_ID"],
        ClientId=_client_id(aws),
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "Ada.Lovelace@example.com", "PASSWORD": password},
    )
    assert signed_in["ChallengeName"] == "NEW_PASSWORD_REQUIRED"  # the email's password works
    completed = aws.user(user_id)
    assert completed["status"] == "completed"
    assert completed["welcome_email"]["message_id"] == email.id
    assert completed["space"] == {
        "bucket": "onramp-test-userspaces",
        "prefix": f"users/{user_id}/",
        "access": "principal-tag:user_id",
        "user_pool": os.environ["USER_POOL_ID"],
    }
    audit_ids = [entry["event_id"] for entry in aws.audit(user_id)]
    assert audit_ids == ["1#pending", "2#processing", "3#completed"]
    assert outcome_metrics(capsys.readouterr().out) == [("Provisions", {"service": "onramp"})]


def test_redelivery_creates_nothing_twice_and_sends_no_second_email(aws, lambda_context):
    pending, processing = processing_user(aws, lambda_context)
    event = provision_event((pending, processing))
    provision.handler(event, lambda_context)
    after_first = (aws.user(processing["user_id"]), aws.audit(), aws.keys("onramp-test-userspaces"))

    for _ in range(2):
        assert provision.handler(event, lambda_context) == {"batchItemFailures": []}

    assert len(aws.sent_emails()) == 1
    assert len(aws.pool_users()) == 1
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
    assert outcome_metrics(capsys.readouterr().out) == [("Failures", reason)]
    # redelivery after the failure: still no email, still failed
    provision.handler(provision_event((pending, processing)), lambda_context)
    assert aws.sent_emails() == []
    assert aws.user(processing["user_id"])["status"] == "failed"


def _client_id(aws) -> str:
    """An app client of the test pool that allows admin password sign-in."""
    return aws.idp.create_user_pool_client(
        UserPoolId=os.environ["USER_POOL_ID"],
        ClientName="test",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]


def test_permanent_cognito_rejection_fails_with_provisioning_rejected(aws, lambda_context):
    pending, processing = processing_user(aws, lambda_context)

    def reject(**_: object) -> None:
        error = {"Error": {"Code": "InvalidParameterException", "Message": "bad attribute"}}
        raise ClientError(error, "AdminCreateUser")

    idp_events = client("cognito-idp").meta.events
    idp_events.register(
        "before-call.cognito-identity-provider.AdminCreateUser", reject, unique_id="no"
    )
    try:
        provision.handler(provision_event((pending, processing)), lambda_context)
    finally:
        idp_events.unregister(
            "before-call.cognito-identity-provider.AdminCreateUser", unique_id="no"
        )

    failed = aws.user(processing["user_id"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "provisioning_rejected")
    assert failed["sign_in"] == {"error": "InvalidParameterException"}
    assert aws.sent_emails() == []
    assert aws.pool_users() == []


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
    # the first attempt created the pool users; the retry's fresh password is the one mailed
    assert len(aws.pool_users()) == 2
    email = aws.sent_emails()[0]
    [password] = re.findall(r"^    (\S+)$", email.body, flags=re.MULTILINE)
    signed_in = aws.idp.admin_initiate_auth(
        UserPoolId=os.environ["USER_POOL_ID"],
        ClientId=_client_id(aws),
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email.destinations["ToAddresses"][0], "PASSWORD": password},
    )
    assert signed_in["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


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


def set_claim(aws, user_id, **claim):
    """Put another delivery's ``welcome_email`` claim on the user item."""
    aws.dynamodb.update_item(
        TableName="onramp-test-users",
        Key={"user_id": {"S": user_id}},
        UpdateExpression="SET welcome_email = :claim",
        ExpressionAttributeValues={":claim": to_item({"claim": claim})["claim"]},
    )


def other_claim(lease=LEASE, **fields):
    """A claim made by another delivery just now, with ``lease`` left."""
    now = datetime.now(UTC)
    return {**new_claim("other-delivery", now, lease=lease), **fields}


def test_the_winner_claims_with_a_lease_and_records_the_message_id(aws, lambda_context):
    pending, processing = processing_user(aws, lambda_context)
    before = datetime.now(UTC)

    provision.handler(provision_event((pending, processing)), lambda_context)

    [email] = aws.sent_emails()
    claim = aws.user(processing["user_id"])["welcome_email"]
    assert re.fullmatch(r"[0-9a-f]{32}", claim["token"])
    claimed_at = datetime.fromisoformat(claim["claimed_at"])
    assert before - timedelta(seconds=1) <= claimed_at <= datetime.now(UTC)
    assert datetime.fromisoformat(claim["until"]) - claimed_at == LEASE
    assert claim["message_id"] == email.id
    assert datetime.fromisoformat(claim["sent_at"]) >= claimed_at


def test_message_id_is_recorded_before_completing_so_a_retry_completes_without_sending(
    aws, lambda_context, monkeypatch
):
    """A failure after the send (here: the completing audit write) leaves the message id on
    the claim: the retry sees the email was sent, completes and sends nothing."""
    pending, processing = processing_user(aws, lambda_context)
    event = provision_event((pending, processing))
    record = AuditLog.record

    def audit_down(self, user_id, status, *args, **kwargs):
        if status == "completed":
            raise ClientError({"Error": {"Code": "InternalServerError"}}, "PutItem")
        return record(self, user_id, status, *args, **kwargs)

    monkeypatch.setattr(AuditLog, "record", audit_down)
    with pytest.raises(Exception, match="All records failed"):
        provision.handler(event, lambda_context)
    stuck = aws.user(processing["user_id"])
    assert (stuck["status"], len(aws.sent_emails())) == ("processing", 1)
    assert stuck["welcome_email"]["message_id"] == aws.sent_emails()[0].id

    monkeypatch.setattr(AuditLog, "record", record)
    assert provision.handler(event, lambda_context) == {"batchItemFailures": []}
    assert aws.user(processing["user_id"])["status"] == "completed"
    assert len(aws.sent_emails()) == 1


def test_a_sent_email_of_another_delivery_is_not_sent_again(aws, lambda_context):
    pending, processing = processing_user(aws, lambda_context)
    set_claim(aws, processing["user_id"], **other_claim(message_id="sent-by-other"))

    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }

    completed = aws.user(processing["user_id"])
    assert completed["status"] == "completed"
    assert completed["welcome_email"]["message_id"] == "sent-by-other"
    assert aws.sent_emails() == []


def test_a_live_claim_fails_the_record_when_the_invocation_cannot_wait(aws, lambda_context):
    """Another delivery holds the claim and has not recorded a send: no email, no status
    change, and the record is reported failed so that Lambda retries it."""
    first = processing_user(aws, lambda_context)
    second = processing_user(aws, lambda_context, email="grace@example.org")
    claim = other_claim()
    set_claim(aws, first[1]["user_id"], **claim)
    event = provision_event(first, second)
    short = dataclasses.replace(lambda_context, timeout_ms=int(provision.RESERVE_S * 1000) - 1)

    response = provision.handler(event, short)

    held_sequence = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": held_sequence}]}
    held = aws.user(first[1]["user_id"])
    assert (held["status"], held["welcome_email"]) == ("processing", claim)
    assert aws.user(second[1]["user_id"])["status"] == "completed"
    assert [e.destinations["ToAddresses"] for e in aws.sent_emails()] == [["grace@example.org"]]


def test_a_live_claim_is_waited_for_and_the_record_completes_once_it_is_sent(
    aws, lambda_context, monkeypatch
):
    pending, processing = processing_user(aws, lambda_context)
    user_id = processing["user_id"]
    set_claim(aws, user_id, **other_claim())
    pauses = []

    def claimant_sends_meanwhile(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:
            set_claim(aws, user_id, **other_claim(message_id="sent-by-other"))

    monkeypatch.setattr(provision.time, "sleep", claimant_sends_meanwhile)
    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }

    assert pauses == [provision.FIRST_PAUSE_S, 2 * provision.FIRST_PAUSE_S]
    assert aws.user(user_id)["status"] == "completed"
    assert aws.sent_emails() == []


def test_a_claim_released_while_waiting_is_claimed_and_sent_once(aws, lambda_context, monkeypatch):
    """The claimant's send failed transiently (it removed its claim): the waiter sends."""
    pending, processing = processing_user(aws, lambda_context)
    user_id = processing["user_id"]
    set_claim(aws, user_id, **other_claim())

    def claimant_releases(_seconds):
        UsersTable().release_welcome_email(user_id, "other-delivery")

    monkeypatch.setattr(provision.time, "sleep", claimant_releases)
    provision.handler(provision_event((pending, processing)), lambda_context)

    [email] = aws.sent_emails()
    completed = aws.user(user_id)
    assert completed["status"] == "completed"
    assert completed["welcome_email"]["message_id"] == email.id
    assert completed["welcome_email"]["token"] != "other-delivery"


@pytest.mark.parametrize(
    "claim",
    [
        other_claim(lease=timedelta(seconds=-1)),
        {"token": "old-claim", "claimed_at": "2026-01-01T00:00:00.000+00:00"},  # no lease
        {"token": "old-claim"},
    ],
    ids=["lease-over", "claimed-long-ago", "no-timestamps"],
)
def test_an_expired_claim_without_message_id_is_never_sent_again_and_fails_unconfirmed(
    aws, lambda_context, capsys, claim
):
    """The claimant stopped between claiming and recording a send (a crash or timeout,
    before or after SendEmail): sending again could be a second email, completing could
    be a user without one. The user ends failed/welcome_email_unconfirmed."""
    pending, processing = processing_user(aws, lambda_context)
    user_id = processing["user_id"]
    set_claim(aws, user_id, **claim)
    capsys.readouterr()

    for _ in range(2):  # a redelivery changes nothing
        assert provision.handler(provision_event((pending, processing)), lambda_context) == {
            "batchItemFailures": []
        }

    failed = aws.user(user_id)
    assert (failed["status"], failed["failure_reason"]) == ("failed", "welcome_email_unconfirmed")
    assert failed["welcome_email"] == claim
    assert aws.sent_emails() == []
    assert aws.audit(user_id)[-1]["reason"] == "welcome_email_unconfirmed"
    reason = {"service": "onramp", "reason": "welcome_email_unconfirmed"}
    assert outcome_metrics(capsys.readouterr().out) == [("Failures", reason)]


def test_a_lease_that_runs_out_while_waiting_fails_the_user_unconfirmed(aws, lambda_context):
    pending, processing = processing_user(aws, lambda_context)
    set_claim(aws, processing["user_id"], **other_claim(lease=timedelta(milliseconds=300)))
    started = time.monotonic()

    assert provision.handler(provision_event((pending, processing)), lambda_context) == {
        "batchItemFailures": []
    }

    assert 0.3 <= time.monotonic() - started < 5
    failed = aws.user(processing["user_id"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "welcome_email_unconfirmed")
    assert aws.sent_emails() == []


def test_logs_carry_no_pii(aws, lambda_context, log_output):
    pending, processing = processing_user(aws, lambda_context)
    provision.handler(provision_event((pending, processing)), lambda_context)
    logs = log_output.getvalue()
    assert "provisioned" in logs
    for secret in ("Lovelace", "ada.lovelace", "Ada.Lovelace", "7946", "2079460958"):
        assert secret not in logs
