"""Data protection and API limits the stack tests (tests/stack) do not already pin: the audit
table and the optional data-lake bucket are as protected as the users table and the
user-spaces bucket, the JWT authorizer reads the Authorization header, and a body over the
handler's bound is refused by the local API with 413 before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from onboarding.handlers.register import MAX_BODY_BYTES

from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack


def test_audit_table_is_encrypted_and_recoverable(
    translated_resources: dict[str, dict[str, Any]],
) -> None:
    props = translated_resources["AuditTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}


@pytest.mark.parametrize("bucket", ["UserSpacesBucket", "DataLakeBucket"])
def test_every_bucket_is_private_encrypted_owner_enforced_and_tls_only(
    translated_resources: dict[str, dict[str, Any]], bucket: str
) -> None:
    props = translated_resources[bucket]["Properties"]
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policies = [
        r["Properties"]
        for r in translated_resources.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    [statement] = policies[0]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Deny", "s3:*")
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in statement["Resource"]


def test_jwt_authorizer_reads_the_bearer_token_header(
    translated_resources: dict[str, dict[str, Any]],
) -> None:
    body = translated_resources["HttpApi"]["Properties"]["Body"]
    condition, jwt_schemes, _public = body["components"]["securitySchemes"]["Fn::If"]
    assert condition == "UseJwtAuth"
    scheme = jwt_schemes["OnrampJwt"]
    assert scheme["x-amazon-apigateway-authorizer"]["identitySource"] == (
        "$request.header.Authorization"
    )


@pytest.fixture(scope="module")
def local_stack() -> Iterator[EmbeddedStack]:
    with EmbeddedStack() as stack:
        yield stack


@pytest.mark.integration
def test_an_oversized_body_is_refused_before_anything_is_written(
    local_stack: EmbeddedStack,
) -> None:
    padding = "x" * MAX_BODY_BYTES
    body = f'{{"email": "big@example.com", "name": "{padding}", "phone": "+442079460958"}}'
    assert post_registration(local_stack.api_url, body.encode()) == 413
    assert local_stack.users() == []
