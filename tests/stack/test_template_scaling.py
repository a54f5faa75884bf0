"""Nothing grows with the number of users but DynamoDB items, S3 keys and user-pool users.

Every action a function's role grants must be on this allow-list of actions whose per-user
effect is bounded by those three (or by nothing: logs, traces, one email, one dead letter).
Any IAM write, any control-plane create (a bucket, a queue, a table, a user pool or group
per user...) fails the test, as the former per-user ``iam:CreatePolicy`` would: customer
managed policies are an account quota of 1,500 by default (IAM and AWS STS quotas page).
"""

from __future__ import annotations

from typing import Any

import pytest

GROWS_ONLY_ITEMS_KEYS_OR_POOL_USERS = {
    "dynamodb:PutItem": "an item",
    "dynamodb:UpdateItem": "an item",
    "dynamodb:GetItem": "reads an item",
    "dynamodb:Query": "reads the in-flight index (only users in flight are in it)",
    "dynamodb:DescribeStream": "reads the stream",
    "dynamodb:GetRecords": "reads the stream",
    "dynamodb:GetShardIterator": "reads the stream",
    "dynamodb:ListStreams": "reads the stream",
    "s3:PutObject": "an S3 key",
    "cognito-idp:AdminCreateUser": "a user-pool user",
    "cognito-idp:AdminSetUserPassword": "changes an existing pool user",
    "ses:SendEmail": "an email (nothing stored in the account)",
    "sqs:SendMessage": "a dead letter (14 days' retention at most)",
    "logs:CreateLogStream": "one per execution environment, not per user",
    "logs:PutLogEvents": "log events (retention-bound)",
    "xray:PutTraceSegments": "traces (30 days)",
    "xray:PutTelemetryRecords": "telemetry",
}
PER_USER_IAM = ("iam:", "sts:", "cognito-identity:", "organizations:")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def function_role_actions(resources: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Every action each function's role allows, by role logical id."""
    role_ids = {
        r["Properties"]["Role"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    actions: dict[str, set[str]] = {}
    for role_id in role_ids:
        for policy in resources[role_id]["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    actions.setdefault(role_id, set()).update(_as_list(statement["Action"]))
    return actions


def growing(actions: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(role, action) pairs that are not on the allow-list."""
    return sorted(
        (role, action)
        for role, granted in actions.items()
        for action in granted
        if action not in GROWS_ONLY_ITEMS_KEYS_OR_POOL_USERS
    )


def test_function_roles_grant_nothing_that_grows_per_user(resources) -> None:
    actions = function_role_actions(resources)
    assert {"ProvisionFunctionRole", "RegisterFunctionRole"} <= set(actions)
    assert growing(actions) == []
    iam_writes = [
        (role, a)
        for role, granted in actions.items()
        for a in granted
        if a.startswith(PER_USER_IAM)
    ]
    assert iam_writes == []


def test_no_function_role_is_passed_or_attached_per_user(resources) -> None:
    """The only role users get is UserSpaceRole, attached once to the identity pool."""
    [attachment] = [
        r for r in resources.values() if r["Type"].endswith("IdentityPoolRoleAttachment")
    ]
    assert attachment["Properties"]["Roles"] == {
        "authenticated": {"Fn::GetAtt": ["UserSpaceRole", "Arn"]}
    }
    assert "unauthenticated" not in attachment["Properties"]["Roles"]


@pytest.mark.parametrize(
    "action",
    ["iam:CreatePolicy", "iam:AttachRolePolicy", "s3:CreateBucket", "cognito-idp:CreateGroup"],
)
def test_the_check_fails_on_a_per_user_write(action) -> None:
    """Control: the former per-user policy (and its kin) is caught."""
    assert growing({"ProvisionFunctionRole": {"s3:PutObject", action}}) == [
        ("ProvisionFunctionRole", action)
    ]
