"""`onramp cleanup` against the embedded stack: after two load runs and the cleanup of one,
only the other run's data (and a user no run made) is left; the audit trail is kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from onboarding.adapters.spaces import user_prefix

from loadtest.runner import run_locust
from onramp.demo import LOCAL_PARAMETERS
from onramp.local.aws.server import internal_client
from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack
from onramp.staging import cleanup
from onramp.staging.cleanup import (
    CleanupTarget,
    delete_run_data,
    find_run_data,
    listing,
    run_user_ids,
)

pytestmark = pytest.mark.integration


def test_the_cleanup_names_the_pipelines_own_prefix() -> None:
    """The cleanup cannot import the Lambda code: it spells the prefix, checked here."""
    assert cleanup.USER_PREFIX.format(user_id="u1") == user_prefix("u1")


def stored(target: CleanupTarget, client: Callable[[str], Any]) -> dict[str, set[str]]:
    """The user ids that own a row, an object, a pool user, an audit entry."""
    rows = client("dynamodb").scan(TableName=target.users_table)["Items"]
    audit = client("dynamodb").scan(TableName=target.audit_table)["Items"]
    versions = client("s3").list_object_versions(Bucket=target.bucket).get("Versions", [])
    pool = client("cognito-idp").get_paginator("list_users")
    pool_users = [
        u for page in pool.paginate(UserPoolId=target.user_pool_id) for u in page["Users"]
    ]
    return {
        "rows": {item["user_id"]["S"] for item in rows},
        "objects": {v["Key"].split("/")[1] for v in versions},
        "pool users": {
            a["Value"]
            for user in pool_users
            for a in user["Attributes"]
            if a["Name"] == cleanup.USER_ID_ATTRIBUTE
        },
        "audit": {item["user_id"]["S"] for item in audit},
    }


def test_cleanup_removes_one_runs_data_and_nothing_else(tmp_path: Path) -> None:
    with EmbeddedStack(parameters=LOCAL_PARAMETERS) as stack:
        client = partial(internal_client, stack.endpoint_url)
        provision = next(s for s in stack.function_specs if s.key == "provision")
        env = stack.resources.environment(provision)
        target = CleanupTarget(
            users_table=env["USERS_TABLE"],
            audit_table=env["AUDIT_TABLE"],
            bucket=env["USER_SPACES_BUCKET"],
            user_pool_id=env["USER_POOL_ID"],
        )
        loads = [
            run_locust(stack.api_url, rate=4, duration_s=4, out_dir=tmp_path, mix="")
            for _ in range(2)
        ]
        body = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+442079460958"}
        assert post_registration(stack.api_url, json.dumps(body).encode()) == 202
        assert stack.wait_until_drained(timeout=60)

        cleaned, kept = (set(run_user_ids(load.run_dir)) for load in loads)
        assert cleaned and kept and not cleaned & kept
        before = stored(target, client)
        assert before["pool users"] >= cleaned | kept  # every user completed: prefix, account
        (outsider,) = before["rows"] - cleaned - kept

        data = find_run_data(target, client, sorted(cleaned))
        assert set(data.found["users-table items"]) == cleaned
        assert len(data.found["user-pool users"]) == len(cleaned)
        assert {o["Key"].split("/")[1] for o in data.found["user-space object versions"]} == (
            cleaned
        )
        text = listing(data)
        assert f"{len(cleaned)} users recorded by the run" in text
        assert "keep" in text and "audit entries (append-only, expire by TTL)" in text
        assert stored(target, client) == before  # finding deletes nothing

        delete_run_data(target, client, data)
        after = stored(target, client)
        assert after["rows"] == kept | {outsider}
        assert after["objects"] == before["objects"] - cleaned
        assert after["pool users"] == before["pool users"] - cleaned
        assert outsider in after["pool users"]
        assert after["audit"] == before["audit"]  # append-only: kept, expires by TTL
        again = find_run_data(target, client, sorted(cleaned))
        assert all(found == [] for found in again.found.values())
