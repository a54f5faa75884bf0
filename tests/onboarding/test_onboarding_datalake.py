"""DataLake through the real handler: completed audit entries -> JSON lines in S3, by day.

The events are the audit table's stream (NEW_IMAGE, INSERT of the ``completed`` entry, which
carries provision's PII-free ``lake`` row), as Lambda delivers them.
"""

import json

from onboarding.adapters.dynamo import from_item
from onboarding.domain.lake import lake_row
from onboarding.handlers import datalake
from onboarding_events import load_event, stream_event, stream_record

LAKE = "onramp-test-lake"


def completed_entry(number: int) -> dict:
    """The completed audit entry (with its lake row) of a numbered user."""
    record = load_event("stream_insert_audit_completed")["Records"][0]["dynamodb"]
    entry = from_item(record["NewImage"])
    user_id = f"00000000-0000-5000-8000-{number:012d}"
    return {**entry, "user_id": user_id, "lake": {**entry["lake"], "user_id": user_id}}


def lake_rows(aws) -> dict[str, list[dict]]:
    rows = {}
    for key in aws.keys(LAKE):
        body = aws.s3.get_object(Bucket=LAKE, Key=key)["Body"].read().decode()
        rows[key] = [json.loads(line) for line in body.splitlines()]
    return rows


def test_sample_event_from_aws_lands_as_one_pii_free_row(aws, lambda_context):
    event = load_event("stream_insert_audit_completed")
    assert datalake.handler(event, lambda_context) == {"batchItemFailures": []}

    [(key, rows)] = lake_rows(aws).items()
    assert key == f"onboarded/dt=2026-11-29/{datalake.batch_id(event['Records'])}.jsonl"
    assert rows == [
        {
            "user_id": "5d0c7a3e-8f5b-5c1e-9a0b-2f6d4e8c1a37",
            "status": "completed",
            "created_at": "2026-11-29T10:15:00.123+00:00",
            "enriched_at": "2026-11-29T10:15:00.911+00:00",
            "completed_at": "2026-11-29T10:15:01.402+00:00",
            "email_domain": "example.com",
            "phone_region": "GB",
            "lookup_status": "ok",
            "has_mx": True,
        }
    ]


def test_the_lake_row_provision_writes_carries_no_pii():
    """The row is built by provision from the whole processing user (the handler above only
    copies it): name, email, phone and the welcome email stay out."""
    user = {
        "user_id": "u1",
        "status": "processing",
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "phone": "+442079460958",
        "email_domain": "example.com",
        "phone_region": "GB",
        "created_at": "2026-11-29T10:15:00.123+00:00",
        "welcome_email": {"token": "t", "message_id": "m-1"},
        "lookup": {"status": "ok", "has_mx": True},
    }
    raw = json.dumps(lake_row(user, "2026-11-29T10:15:01.402+00:00"))
    for secret in ("Ada", "Lovelace", "ada.lovelace", "+442079460958", "message_id", "welcome"):
        assert secret not in raw


def test_one_object_per_batch_and_day_and_redelivery_overwrites(aws, lambda_context):
    records = [stream_record(completed_entry(n), sequence=n) for n in range(3)]
    records[2]["dynamodb"]["ApproximateCreationDateTime"] += 86_400  # next day
    event = stream_event(*records)

    datalake.handler(event, lambda_context)
    datalake.handler(event, lambda_context)

    by_key = lake_rows(aws)
    assert sorted(key.split("/")[1] for key in by_key) == ["dt=2026-11-29", "dt=2026-11-30"]
    assert sorted(len(rows) for rows in by_key.values()) == [1, 2]


def test_an_entry_whose_lake_row_names_another_user_is_malformed(aws, lambda_context):
    entry = completed_entry(1)
    entry["lake"]["user_id"] = completed_entry(2)["user_id"]
    records = [stream_record(completed_entry(0), sequence=0), stream_record(entry, sequence=1)]
    response = datalake.handler(stream_event(*records), lambda_context)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    [rows] = lake_rows(aws).values()
    assert [row["user_id"] for row in rows] == [completed_entry(0)["user_id"]]


def test_partial_failure_writes_only_rows_before_the_first_failure(aws, lambda_context):
    records = [stream_record(completed_entry(n), sequence=n) for n in range(3)]
    del records[1]["dynamodb"]["NewImage"]["lake"]

    response = datalake.handler(stream_event(*records), lambda_context)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    [rows] = lake_rows(aws).values()
    assert [row["user_id"] for row in rows] == ["00000000-0000-5000-8000-000000000000"]
