"""The data lake on the embedded stack: DataLakeFunction reads the audit table's stream (the
Users stream keeps its two readers) and writes one PII-free row per completed user."""

from __future__ import annotations

import json
from functools import partial

import pytest

from onramp.demo import LOCAL_PARAMETERS
from onramp.local.aws.server import internal_client
from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

PEOPLE = [
    {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+442079460958"},
    {"email": "grace@example.org", "name": "Grace Hopper", "phone": "+14155552671"},
    {"email": "nobody@blocked.example", "name": "Eve Blocked", "phone": "+442079460958"},
]


def test_completed_users_land_in_the_lake_from_the_audit_stream() -> None:
    parameters = {**LOCAL_PARAMETERS, "EnableDataLake": "true"}
    with EmbeddedStack(parameters=parameters) as stack:
        sources = {
            event["Properties"]["Stream"]["Fn::GetAtt"][0]
            for spec in stack.function_specs
            if spec.key == "datalake"
            for event in spec.events.values()
        }
        assert sources == {"AuditTable"}
        for person in PEOPLE:
            assert post_registration(stack.api_url, json.dumps(person).encode()) == 202
        assert stack.wait_until_drained(timeout=90)

        client = partial(internal_client, stack.endpoint_url)
        lake = next(s for s in stack.function_specs if s.key == "datalake")
        bucket = stack.resources.environment(lake)["DATA_LAKE_BUCKET"]
        users = client("dynamodb").scan(TableName=stack.resources.environment(lake)["USERS_TABLE"])
        completed = {i["user_id"]["S"] for i in users["Items"] if i["status"]["S"] == "completed"}
        assert len(completed) == 2  # the blocked domain fails enrichment: no lake row

        rows = []
        listed = client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
        for key in (o["Key"] for o in listed):
            body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            rows += [json.loads(line) for line in body.splitlines()]
        assert {row["user_id"] for row in rows} == completed
        assert {row["status"] for row in rows} == {"completed"}
        assert {row["email_domain"] for row in rows} == {"example.com", "example.org"}
        raw = json.dumps(rows)
        for person in PEOPLE[:2]:
            for secret in (person["email"], person["name"], person["phone"]):
                assert secret not in raw
