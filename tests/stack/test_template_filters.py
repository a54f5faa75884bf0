"""Every stream filter in the template is valid and matches exactly the records it should.

Records have the shape DynamoDB Streams delivers to Lambda (eventVersion 1.1, typed
NewImage/OldImage, eventSourceARN), one per step of the status machine.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kernel.sam_template import functions
from onramp.local.streams.event_filter import parse_filter_criteria, passes

STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/onramp-staging-UsersTable-X/stream/"
    "2026-01-01T00:00:00.000"
)
ARCHITECTURE_PATTERNS = {
    "EnrichFunction": [
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["pending"]}}}},
    ],
    "ProvisionFunction": [
        {
            "eventName": ["MODIFY"],
            "dynamodb": {
                "NewImage": {"status": {"S": ["processing"]}},
                "OldImage": {"status": {"S": ["pending"]}},
            },
        },
        {  # an already-registered notice asked for and not claimed yet (exists: leaf nodes)
            "eventName": ["MODIFY"],
            "dynamodb": {
                "NewImage": {
                    "notice": {
                        "M": {
                            "requested_at": {"S": [{"exists": True}]},
                            "token": {"S": [{"exists": False}]},
                        }
                    }
                }
            },
        },
    ],
    "DataLakeFunction": [  # the audit stream (NEW_IMAGE): entries are only ever inserted
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["completed"]}}}},
    ],
}


def image(status: str, **extra: str) -> dict[str, Any]:
    """A typed user item image with the given status."""
    item = {"user_id": {"S": "u-1"}, "email": {"S": "ada@example.com"}, "status": {"S": status}}
    return item | {key: {"S": value} for key, value in extra.items()}


def stream_record(event_name: str, old: str | None, new: str | None) -> dict[str, Any]:
    """One DynamoDB Streams record as Lambda receives it (NEW_AND_OLD_IMAGES)."""
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1767225600.0,
        "Keys": {"user_id": {"S": "u-1"}},
        "SequenceNumber": "100000000000000000001",
        "SizeBytes": 180,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        body["NewImage"] = image(new)
    if old is not None:
        body["OldImage"] = image(old)
    return {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": body,
        "eventSourceARN": STREAM_ARN,
    }


def with_notice(record: dict[str, Any], **notice: str) -> dict[str, Any]:
    """``record`` whose new image carries ``notice`` (a map of strings)."""
    body = record["dynamodb"]
    new_image = body["NewImage"] | {"notice": {"M": {k: {"S": v} for k, v in notice.items()}}}
    return record | {"dynamodb": body | {"NewImage": new_image}}


ASKED = {"requested_at": "2026-12-01T00:00:00.000+00:00", "until": "2026-12-02T00:00:00.000+00:00"}


def audit_record(event_name: str, status: str) -> dict[str, Any]:
    """One audit-stream record (NEW_IMAGE: an INSERT has the entry, a TTL REMOVE none)."""
    record = stream_record(event_name, None, None)
    record["eventSourceARN"] = STREAM_ARN.replace("UsersTable-X", "audit-1234")
    body = record["dynamodb"] | {"StreamViewType": "NEW_IMAGE"}
    body["Keys"] = {"user_id": {"S": "u-1"}, "event_id": {"S": f"status#{status}"}}
    if event_name == "INSERT":
        body["NewImage"] = body["Keys"] | {"status": {"S": status}}
    record["dynamodb"] = body
    return record


RECORDS = {
    "insert pending": stream_record("INSERT", None, "pending"),
    "insert processing (never written by the code)": stream_record("INSERT", None, "processing"),
    "pending -> processing": stream_record("MODIFY", "pending", "processing"),
    "pending -> failed": stream_record("MODIFY", "pending", "failed"),
    "processing -> completed": stream_record("MODIFY", "processing", "completed"),
    "processing -> failed": stream_record("MODIFY", "processing", "failed"),
    "processing -> processing (lookup detail rewrite)": stream_record(
        "MODIFY", "processing", "processing"
    ),
    "completed -> completed (identical rewrite)": stream_record("MODIFY", "completed", "completed"),
    "pending -> pending (rewrite)": stream_record("MODIFY", "pending", "pending"),
    "remove completed (TTL)": stream_record("REMOVE", "completed", None),
    "remove pending": stream_record("REMOVE", "pending", None),
    "notice asked on a completed user": with_notice(
        stream_record("MODIFY", "completed", "completed"), **ASKED
    ),
    "notice asked on a pending user": with_notice(
        stream_record("MODIFY", "pending", "pending"), **ASKED
    ),
    "notice claimed": with_notice(
        stream_record("MODIFY", "completed", "completed"), **ASKED, token="t1"
    ),
    "notice sent": with_notice(
        stream_record("MODIFY", "completed", "completed"), **ASKED, token="t1", sent_at="x"
    ),
}
AUDIT_RECORDS = {
    f"audit insert {status}": audit_record("INSERT", status)
    for status in ("pending", "processing", "completed", "failed")
} | {"audit remove completed (TTL)": audit_record("REMOVE", "completed")}
STREAM_RECORDS = {  # what each function's stream delivers
    "EnrichFunction": RECORDS,
    "ProvisionFunction": RECORDS,
    "DataLakeFunction": AUDIT_RECORDS,
}
EXPECTED = {
    "EnrichFunction": {"insert pending"},
    "ProvisionFunction": {
        "pending -> processing",
        "notice asked on a completed user",
        "notice asked on a pending user",
    },
    "DataLakeFunction": {"audit insert completed"},
}


def template_filters(sam_template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Parsed FilterCriteria of each stream event source, by function logical id."""
    found = {}
    for spec in functions(sam_template):
        for event in spec.events.values():
            if event["Type"] == "DynamoDB":
                criteria = event["Properties"]["FilterCriteria"]
                found[spec.logical_id] = parse_filter_criteria(criteria)
    return found


def test_every_stream_function_has_a_filter(sam_template: dict[str, Any]) -> None:
    assert set(template_filters(sam_template)) == set(EXPECTED)


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_filters_are_the_documented_patterns(sam_template: dict[str, Any], function: str) -> None:
    assert template_filters(sam_template)[function] == ARCHITECTURE_PATTERNS[function]


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_filter_matches_exactly_the_expected_records(
    sam_template: dict[str, Any], function: str
) -> None:
    filters = template_filters(sam_template)[function]
    records = STREAM_RECORDS[function]
    delivered = {name for name, record in records.items() if passes(filters, record)}
    assert delivered == EXPECTED[function]


def test_translated_filters_are_json_strings(resources: dict[str, dict[str, Any]]) -> None:
    mappings = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == len(EXPECTED)
    for mapping in mappings:
        for entry in mapping["Properties"]["FilterCriteria"]["Filters"]:
            assert isinstance(json.loads(entry["Pattern"]), dict)
