"""Enrich through the real handler, with DynamoDB Streams events (AWS's shape), under moto."""

import json

import pytest
from onboarding.handlers import enrich, register
from onboarding_events import (
    VALID_BODY,
    api_request,
    load_event,
    outcome_metrics,
    stream_event,
    stream_record,
)


def register_user(aws, lambda_context, **fields):
    response = register.handler(api_request({**VALID_BODY, **fields}), lambda_context)
    assert response["statusCode"] == 202, response["body"]
    return aws.user(json.loads(response["body"])["user_id"])


def enrich_users(lambda_context, *users, start=1):
    records = [stream_record(user, sequence=start + i) for i, user in enumerate(users)]
    return enrich.handler(stream_event(*records), lambda_context)


def test_pending_user_is_normalised_and_moves_to_processing(aws, lambda_context, capsys):
    user = register_user(aws, lambda_context)
    capsys.readouterr()

    assert enrich_users(lambda_context, user) == {"batchItemFailures": []}

    enriched = aws.user(user["user_id"])
    assert enriched["status"] == "processing"
    assert enriched["email"] == "Ada.Lovelace@example.com"
    assert enriched["email_domain"] == "example.com"
    assert enriched["phone"] == "+442079460958"
    assert enriched["phone_region"] == "GB"
    assert enriched["name"] == "Ada Lovelace"
    assert enriched["lookup"] == {"status": "ok", "provider": "fake", "has_mx": True}
    assert [(a["event_id"], a["status"]) for a in aws.audit(user["user_id"])] == [
        ("1#pending", "pending"),
        ("2#processing", "processing"),
    ]
    assert {a["correlation_id"] for a in aws.audit()} == {"BxR7tgQ6oAMEJrw="}
    assert outcome_metrics(capsys.readouterr().out) == [("Enrichments", {"service": "onramp"})]


def test_sample_event_from_aws_is_processed(aws, lambda_context):
    """The checked-in INSERT record, exactly as AWS sends it, after its row exists."""
    event = load_event("stream_insert_pending")
    register_user(aws, lambda_context)  # the row the record describes (same email -> same id)
    record = event["Records"][0]
    record["dynamodb"]["Keys"]["user_id"]["S"] = aws.users()[0]["user_id"]
    record["dynamodb"]["NewImage"]["user_id"]["S"] = aws.users()[0]["user_id"]
    assert enrich.handler(event, lambda_context) == {"batchItemFailures": []}
    assert aws.users()[0]["status"] == "processing"


@pytest.mark.parametrize(
    ("fields", "environment", "reason"),
    [
        ({"phone": "+1 555 555 5555"}, {}, "invalid_phone"),
        ({"name": "12345 !!"}, {}, "invalid_name"),
        ({}, {"ALLOWED_EMAIL_DOMAINS": "example.org, partner.example.net"}, "domain_not_allowed"),
    ],
)
def test_each_enrichment_failure_reason(
    aws, lambda_context, monkeypatch, capsys, fields, environment, reason
):
    user = register_user(aws, lambda_context, **fields)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()

    assert enrich_users(lambda_context, user) == {"batchItemFailures": []}

    failed = aws.user(user["user_id"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", reason)
    assert [a["event_id"] for a in aws.audit(user["user_id"])] == ["1#pending", "9#failed"]
    assert aws.audit(user["user_id"])[1]["reason"] == reason
    metrics = outcome_metrics(capsys.readouterr().out)
    assert metrics == [("Failures", {"service": "onramp", "reason": reason})]


def test_invalid_email_written_by_another_writer_fails_with_reason(aws, lambda_context):
    """Register screens emails, but the table may hold rows from elsewhere: enrich re-checks."""
    user = register_user(aws, lambda_context)
    aws.dynamodb.update_item(
        TableName="onramp-test-users",
        Key={"user_id": {"S": user["user_id"]}},
        UpdateExpression="SET email = :e",
        ExpressionAttributeValues={":e": {"S": "not-an-email"}},
    )
    assert enrich_users(lambda_context, aws.user(user["user_id"])) == {"batchItemFailures": []}
    assert aws.user(user["user_id"])["failure_reason"] == "invalid_email"


@pytest.mark.parametrize(("mode", "reason"), [("error", "error"), ("hang", "timeout")])
def test_lookup_failure_is_recorded_and_does_not_fail_onboarding(
    aws, lambda_context, monkeypatch, mode, reason
):
    user = register_user(aws, lambda_context)
    monkeypatch.setenv("LOOKUP_FAKE_MODE", mode)
    monkeypatch.setenv("LOOKUP_TIMEOUT_MS", "50")
    assert enrich_users(lambda_context, user) == {"batchItemFailures": []}
    enriched = aws.user(user["user_id"])
    assert enriched["status"] == "processing"
    assert enriched["lookup"] == {"status": "error", "provider": "fake", "reason": reason}


def test_lookup_none_is_skipped(aws, lambda_context, monkeypatch):
    user = register_user(aws, lambda_context)
    monkeypatch.setenv("LOOKUP_PROVIDER", "none")
    enrich_users(lambda_context, user)
    assert aws.user(user["user_id"])["lookup"] == {"status": "skipped", "provider": "none"}


def test_redelivery_changes_nothing(aws, lambda_context, capsys):
    user = register_user(aws, lambda_context)
    enrich_users(lambda_context, user)
    first = aws.user(user["user_id"])
    first_audit = aws.audit()
    capsys.readouterr()

    assert enrich_users(lambda_context, user) == {"batchItemFailures": []}

    assert aws.user(user["user_id"]) == first
    assert aws.audit() == first_audit
    assert outcome_metrics(capsys.readouterr().out) == []


def test_partial_batch_failure_reports_only_the_bad_record(aws, lambda_context):
    good = register_user(aws, lambda_context)
    other = register_user(aws, lambda_context, email="grace@example.org")
    broken = stream_record(other, sequence=2)
    del broken["dynamodb"]["NewImage"]["status"]
    event = stream_event(stream_record(good, sequence=1), broken, stream_record(other, sequence=3))

    response = enrich.handler(event, lambda_context)

    failed = [{"itemIdentifier": broken["dynamodb"]["SequenceNumber"]}]
    assert response == {"batchItemFailures": failed}
    assert aws.user(good["user_id"])["status"] == "processing"
    assert aws.user(other["user_id"])["status"] == "processing"


def test_when_every_record_fails_the_whole_batch_is_retried(aws, lambda_context, monkeypatch):
    user = register_user(aws, lambda_context)
    ok_user = register_user(aws, lambda_context, email="grace@example.org")
    monkeypatch.setenv("AUDIT_TABLE", "no-such-table")  # after register: it writes the audit too
    records = [stream_record(user, sequence=1), stream_record(ok_user, sequence=2)]
    # every record fails: Powertools raises so Lambda retries the whole batch
    with pytest.raises(Exception, match="All records failed"):
        enrich.handler(stream_event(*records), lambda_context)
    assert {u["status"] for u in aws.users()} == {"pending"}


def test_records_that_are_not_pending_are_skipped(aws, lambda_context):
    user = register_user(aws, lambda_context)
    enrich_users(lambda_context, user)
    processing = aws.user(user["user_id"])
    assert enrich_users(lambda_context, processing) == {"batchItemFailures": []}
    assert aws.user(user["user_id"]) == processing


def test_logs_carry_no_pii_and_keep_the_correlation_id(aws, lambda_context, log_output):
    user = register_user(aws, lambda_context, phone="+1 555 555 5555")
    enrich_users(lambda_context, user)
    logs = log_output.getvalue()
    assert '"correlation_id":"BxR7tgQ6oAMEJrw="' in logs
    assert "enrichment failed" in logs
    for secret in ("Lovelace", "ada.lovelace", "Ada.Lovelace", "555 5555", "5555555"):
        assert secret not in logs
