"""DataLake through the real handler: completed users -> JSON lines in S3, partitioned by day."""

import json

from onboarding import datalake
from onboarding.dynamo import from_item
from onboarding_events import load_event, stream_event, stream_record

LAKE = "onramp-test-lake"


def completed_pair(number: int) -> tuple[dict, dict]:
    """(old, new) images of a processing -> completed change, for a numbered user."""
    record = load_event("stream_modify_completed")["Records"][0]["dynamodb"]
    old, new = from_item(record["OldImage"]), from_item(record["NewImage"])
    user_id = f"00000000-0000-5000-8000-{number:012d}"
    return {**old, "user_id": user_id}, {**new, "user_id": user_id}


def lake_rows(aws) -> dict[str, list[dict]]:
    rows = {}
    for key in aws.keys(LAKE):
        body = aws.s3.get_object(Bucket=LAKE, Key=key)["Body"].read().decode()
        rows[key] = [json.loads(line) for line in body.splitlines()]
    return rows


def test_sample_event_from_aws_lands_as_one_pii_free_row(aws, lambda_context):
    event = load_event("stream_modify_completed")
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
    raw = json.dumps(rows)
    for secret in ("Ada", "Lovelace", "+442079460958", "message_id", "welcome"):
        assert secret not in raw


def test_one_object_per_batch_and_day_and_redelivery_overwrites(aws, lambda_context):
    records = [
        stream_record(new, old, sequence=n)
        for n, (old, new) in enumerate(completed_pair(n) for n in range(3))
    ]
    records[2]["dynamodb"]["ApproximateCreationDateTime"] += 86_400  # next day
    event = stream_event(*records)

    datalake.handler(event, lambda_context)
    datalake.handler(event, lambda_context)

    by_key = lake_rows(aws)
    assert sorted(key.split("/")[1] for key in by_key) == ["dt=2026-11-29", "dt=2026-11-30"]
    assert sorted(len(rows) for rows in by_key.values()) == [1, 2]


def test_partial_failure_writes_only_rows_before_the_first_failure(aws, lambda_context):
    records = [
        stream_record(new, old, sequence=n)
        for n, (old, new) in enumerate(completed_pair(n) for n in range(3))
    ]
    del records[1]["dynamodb"]["NewImage"]["user_id"]

    response = datalake.handler(stream_event(*records), lambda_context)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    [rows] = lake_rows(aws).values()
    assert [row["user_id"] for row in rows] == ["00000000-0000-5000-8000-000000000000"]
