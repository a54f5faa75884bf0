"""The audit table is append-only in the code too: every entry is put on the condition that
its key is new, so a second write of an entry (a redelivery, or anything else with the
functions' grant) is refused by DynamoDB and the first entry stays as it was (moto)."""

import os
from typing import Any

import pytest
from botocore.exceptions import ClientError
from onboarding.adapters.audit import NEW_ENTRY, AuditLog
from onboarding.adapters.clients import client
from onboarding.adapters.dynamo import to_item
from onboarding.domain.status import FailureReason, Status

USER_ID = "6d1b3f1e-9a54-5c1e-8f43-2b7d0e5c1a90"


def test_a_second_write_of_an_entry_is_refused_and_the_first_kept(aws: Any) -> None:
    audit = AuditLog()
    assert audit.record(USER_ID, Status.PENDING, "first", at="2026-12-01T00:00:00.000+00:00")
    assert not audit.record(USER_ID, Status.PENDING, "second", at="2026-12-02T00:00:00.000+00:00")
    [entry] = aws.audit(USER_ID)
    assert (entry["correlation_id"], entry["at"]) == ("first", "2026-12-01T00:00:00.000+00:00")


def test_an_overwrite_with_the_functions_put_is_refused_by_dynamodb(aws: Any) -> None:
    """The same PutItem the code sends, with other values for an existing key: refused."""
    audit = AuditLog()
    audit.record(USER_ID, Status.FAILED, "c1", reason=FailureReason.INVALID_PHONE)
    forged = {"user_id": USER_ID, "event_id": "9#failed", "status": "completed", "reason": "none"}
    with pytest.raises(ClientError) as refused:
        client("dynamodb").put_item(
            TableName=os.environ["AUDIT_TABLE"],
            Item=to_item(forged),
            ConditionExpression=NEW_ENTRY,
        )
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    [entry] = aws.audit(USER_ID)
    assert (entry["status"], entry["reason"]) == ("failed", "invalid_phone")


def test_every_audit_put_carries_the_new_key_condition(aws: Any) -> None:
    """Each status's entry is written with ``attribute_not_exists`` on both key attributes."""
    sent: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == os.environ["AUDIT_TABLE"]:
            sent.append(dict(params))

    events = client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.PutItem", capture)
    try:
        audit = AuditLog()
        for status in (Status.PENDING, Status.PROCESSING, Status.COMPLETED):
            audit.record(USER_ID, status, "c1")
        audit.record(USER_ID, Status.FAILED, "c1", reason=FailureReason.INVALID_NAME)
    finally:
        events.unregister("provide-client-params.dynamodb.PutItem", capture)
    assert len(sent) == 4
    assert {p["ConditionExpression"] for p in sent} == {
        "attribute_not_exists(user_id) AND attribute_not_exists(event_id)"
    }
