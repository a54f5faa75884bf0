"""`onramp cleanup` on a deployed stack (moto): a dry-run listing first, deletion with --yes,
the stack found by its outputs, a bad run directory one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onramp.cli import main
from onramp.staging.session import AwsSession

STACK = "onramp-staging"


def deploy(aws: AwsSession) -> tuple[str, str, str]:
    """Users and audit tables, the bucket and the user pool, named by the stack's outputs."""
    pool_id = aws.client("cognito-idp").create_user_pool(
        PoolName=f"{STACK}-users",
        UsernameAttributes=["email"],
        Schema=[{"Name": "user_id", "AttributeDataType": "String", "Mutable": False}],
    )["UserPool"]["Id"]
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "user_id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
        },
    }
    template = {
        "Resources": {
            "UsersTable": table,
            "AuditTable": table,
            "UserSpacesBucket": {"Type": "AWS::S3::Bucket"},
        },
        "Outputs": {
            "UsersTableName": {"Value": {"Ref": "UsersTable"}},
            "AuditTableName": {"Value": {"Ref": "AuditTable"}},
            "UserSpacesBucketName": {"Value": {"Ref": "UserSpacesBucket"}},
            "UserPoolId": {"Value": pool_id},
        },
    }
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    outputs = {
        o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks()["Stacks"][0]["Outputs"]
    }
    return outputs["UsersTableName"], outputs["UserSpacesBucketName"], outputs["UserPoolId"]


def onboard(aws: AwsSession, table: str, bucket: str, pool_id: str, user_id: str) -> None:
    """What the pipeline leaves for a completed user: a row, a prefix, a pool user."""
    email = f"{user_id}@example.com"
    item = {"user_id": {"S": user_id}, "email": {"S": email}}
    aws.client("dynamodb").put_item(TableName=table, Item=item)
    aws.client("s3").put_object(Bucket=bucket, Key=f"users/{user_id}/.keep", Body=b"")
    aws.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "custom:user_id", "Value": user_id}],
        MessageAction="SUPPRESS",
    )


def pool_user_ids(aws: AwsSession, pool_id: str) -> set[str]:
    users = aws.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"]
    return {a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "custom:user_id"}


def run_dir(out: Path, run_id: str, user_ids: list[str]) -> None:
    directory = out / run_id
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text("{}", encoding="utf-8")
    (directory / "accepted.101.txt").write_text("\n".join(user_ids) + "\n", encoding="utf-8")


def rows(aws: AwsSession, table: str) -> set[str]:
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    return {item["user_id"]["S"] for item in items}


def test_dry_run_lists_then_yes_deletes_only_the_runs_users(
    mocked_aws: AwsSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table, bucket, pool_id = deploy(mocked_aws)
    for user_id in ("a1", "a2", "b1"):
        onboard(mocked_aws, table, bucket, pool_id, user_id)
    # a3 failed before provisioning: a row, no pool user; its address's pool user is b1's
    item = {"user_id": {"S": "a3"}, "email": {"S": "b1@example.com"}}
    mocked_aws.client("dynamodb").put_item(TableName=table, Item=item)
    run_dir(tmp_path, "run-a", ["a1", "a2", "a3"])
    args = ["cleanup", "--stack", STACK, "--run", "run-a", "--out", str(tmp_path)]

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "delete      3 users-table items: a1, a2, a3" in out
    assert "delete      2 user-pool users: a1@example.com, a2@example.com" in out
    assert "dry run: nothing deleted" in out
    assert rows(mocked_aws, table) == {"a1", "a2", "a3", "b1"}
    assert pool_user_ids(mocked_aws, pool_id) == {"a1", "a2", "b1"}

    assert main([*args, "--yes"]) == 0
    assert rows(mocked_aws, table) == {"b1"}
    assert pool_user_ids(mocked_aws, pool_id) == {"b1"}  # not a3's, though its row named it
    keys = mocked_aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    assert [k["Key"] for k in keys] == ["users/b1/.keep"]
    assert "delete      0 users-table items" in capsys.readouterr().out


def test_a_run_that_does_not_exist_is_one_line(
    mocked_aws: AwsSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cleanup", "--stack", STACK, "--run", "nope", "--out", str(tmp_path)])
    assert code == 2
    missing = tmp_path / "nope"
    assert capsys.readouterr().err == (
        f"onramp: error: --run: {missing} is not a load run directory (no manifest.json)\n"
    )
