"""Isolation of users' spaces: the one role signed-in users get, resolved per user.

UserSpaceRole's policy names ``users/${aws:PrincipalTag/user_id}/``, the form AWS documents
for attribute-based access control with identity pools ("Using attributes for access
control", Cognito developer guide; the ``${aws:PrincipalTag/key}`` variable of the IAM
policy-variables reference). No evaluator that runs offline resolves policy variables:
moto's IAM enforcement matches the ``Resource`` text as a pattern, so the variable form
denies even a user's own objects there (the first test shows it), and moto passes no
``s3:prefix`` to a policy's conditions. So the proof is in two parts:

- the policy resolved for one user, as IAM resolves the variable from the session's
  principal tag, evaluated by moto's real IAM enforcement for the object actions
  (Get/Put/Delete): allowed on the user's own prefix, denied on another's and on the root;
- the listing condition, resolved the same way, checked with ``StringLike``'s matching
  rules (``*`` any run of characters, case-sensitive), since moto cannot evaluate it.

In a real account, one command checks the variable form itself (docs/deploy.md)::

    aws iam simulate-principal-policy --policy-source-arn <UserSpaceRoleArn> \\
      --action-names s3:GetObject s3:PutObject s3:ListBucket \\
      --resource-arns arn:aws:s3:::<bucket>/users/<A>/x arn:aws:s3:::<bucket>/users/<B>/x \\
      --context-entries \\
        ContextKeyName=aws:PrincipalTag/user_id,ContextKeyValues=<A>,ContextKeyType=string \\
        ContextKeyName=s3:prefix,ContextKeyValues=users/<B>/,ContextKeyType=string
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count
from onboarding.adapters.spaces import user_prefix

from kernel.sam_template import DEFAULT_TEMPLATE, Resolver, load_template

BUCKET = "onramp-user-spaces"
ALICE = "6b1f0d0e-0000-5000-8000-000000000001"
BOB = "6b1f0d0e-0000-5000-8000-000000000002"
OTHERS = (BOB, ALICE[:-1], f"{ALICE}x", "")
VARIABLE = "${aws:PrincipalTag/user_id}"
REGION = "us-east-1"


def role_policy() -> dict[str, Any]:
    """UserSpaceRole's policy document from the template, the bucket ARN resolved."""
    template = load_template(DEFAULT_TEMPLATE)
    role = template["Resources"]["UserSpaceRole"]["Properties"]
    [policy] = role["Policies"]
    refs = {"UserSpacesBucket": BUCKET}
    attributes = {"UserSpacesBucket.Arn": f"arn:aws:s3:::{BUCKET}"}
    return Resolver(template, refs, attributes).resolve(policy["PolicyDocument"])


def resolved_for(user_id: str) -> dict[str, Any]:
    """The policy as IAM evaluates it for a session tagged ``user_id=<user_id>``."""
    return json.loads(json.dumps(role_policy()).replace(VARIABLE, user_id))


def test_the_template_keeps_the_documented_variable_form() -> None:
    objects, listing = role_policy()["Statement"]
    assert objects["Resource"] == f"arn:aws:s3:::{BUCKET}/users/{VARIABLE}/*"
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [
        f"users/{VARIABLE}/",
        f"users/{VARIABLE}/*",
    ]
    trust = load_template(DEFAULT_TEMPLATE)["Resources"]["UserSpaceRole"]["Properties"]
    [statement] = trust["AssumeRolePolicyDocument"]["Statement"]
    assert set(statement["Action"]) == {"sts:AssumeRoleWithWebIdentity", "sts:TagSession"}
    assert statement["Condition"]["ForAnyValue:StringLike"] == {
        "cognito-identity.amazonaws.com:amr": "authenticated"
    }


@pytest.fixture
def bucket_as() -> Iterator[Any]:
    """A factory: an S3 client whose every call moto authorises against ``policy`` (the
    bucket is made before the test's no-auth count starts)."""
    with mock_aws():
        admin = boto3.client("s3", region_name=REGION)
        admin.create_bucket(Bucket=BUCKET)
        iam = boto3.client("iam", region_name=REGION)
        made = 0

        def as_principal(policy: dict[str, Any]) -> Any:
            nonlocal made
            made += 1
            name = f"user-{made}"
            iam.create_user(UserName=name)
            iam.put_user_policy(
                UserName=name, PolicyName="space", PolicyDocument=json.dumps(policy)
            )
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return boto3.client(
                "s3",
                region_name=REGION,
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
            )

        yield as_principal


def _allowed(call: Any, **kwargs: Any) -> bool:
    try:
        call(Bucket=BUCKET, **kwargs)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied", error.response
        return False
    return True


@set_initial_no_auth_action_count(3)  # the IAM user, its policy, its key: then enforced
def test_moto_does_not_resolve_policy_variables(bucket_as: Any) -> None:
    """Why the variable form is resolved before moto evaluates it."""
    s3 = bucket_as(role_policy())
    assert not _allowed(s3.put_object, Key=f"{user_prefix(ALICE)}a.txt", Body=b"a")


@set_initial_no_auth_action_count(3)
def test_a_user_may_use_only_their_own_prefix(bucket_as: Any) -> None:
    alice = bucket_as(resolved_for(ALICE))
    own = f"{user_prefix(ALICE)}notes/a.txt"
    assert _allowed(alice.put_object, Key=own, Body=b"mine")
    assert _allowed(alice.get_object, Key=own)
    assert _allowed(alice.delete_object, Key=own)
    for other in (BOB, ALICE[:-1], f"{ALICE}x"):
        theirs = f"{user_prefix(other)}a.txt"
        assert not _allowed(alice.put_object, Key=theirs, Body=b"x"), other
        assert not _allowed(alice.get_object, Key=theirs), other
        assert not _allowed(alice.delete_object, Key=theirs), other
    assert not _allowed(alice.put_object, Key="a.txt", Body=b"root")
    assert not _allowed(alice.get_object, Key="users/")


def test_listing_is_allowed_only_under_the_users_own_prefix() -> None:
    _, listing = resolved_for(ALICE)["Statement"]
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Resource"] == f"arn:aws:s3:::{BUCKET}"
    patterns = listing["Condition"]["StringLike"]["s3:prefix"]
    assert any(fnmatchcase(user_prefix(ALICE), p) for p in patterns)
    assert any(fnmatchcase(f"{user_prefix(ALICE)}photos/", p) for p in patterns)
    for other in OTHERS:
        assert not any(fnmatchcase(user_prefix(other), p) for p in patterns), other
    for root in ("", "users/", "users", "u"):
        assert not any(fnmatchcase(root, p) for p in patterns), root


def test_an_empty_tag_grants_nothing_anyone_owns() -> None:
    """A session without the tag: IAM does not match the statement; resolved to empty, the
    patterns name ``users//``, which no user id produces."""
    objects, listing = resolved_for("")["Statement"]
    for user in (ALICE, BOB):
        assert not fnmatchcase(f"arn:aws:s3:::{BUCKET}/{user_prefix(user)}a", objects["Resource"])
        assert not any(
            fnmatchcase(user_prefix(user), p)
            for p in listing["Condition"]["StringLike"]["s3:prefix"]
        )
