"""`onramp cleanup` on a deployed stack (moto): a dry-run listing first, deletion with --yes,
the stack found by its outputs, a bad run directory one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onramp.cli import main
from onramp.staging.session import AwsSession

STACK = "onramp-staging"
POLICY_PATH = "/onramp/onramp-staging/users/"


def deploy(aws: AwsSession) -> tuple[str, str]:
    """Users and audit tables and the bucket, named by the stack's outputs."""
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
            "UserPolicyPath": {"Value": POLICY_PATH},
        },
    }
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    outputs = {
        o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks()["Stacks"][0]["Outputs"]
    }
    return outputs["UsersTableName"], outputs["UserSpacesBucketName"]


def onboard(aws: AwsSession, table: str, bucket: str, user_id: str) -> None:
    """What the pipeline leaves for a user: a row, a prefix, a policy."""
    aws.client("dynamodb").put_item(TableName=table, Item={"user_id": {"S": user_id}})
    aws.client("s3").put_object(Bucket=bucket, Key=f"users/{user_id}/.keep", Body=b"")
    aws.client("iam").create_policy(
        PolicyName=f"onramp-user-{user_id}", Path=POLICY_PATH, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    )  # fmt: skip


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
    table, bucket = deploy(mocked_aws)
    for user_id in ("a1", "a2", "b1"):
        onboard(mocked_aws, table, bucket, user_id)
    run_dir(tmp_path, "run-a", ["a1", "a2"])
    args = ["cleanup", "--stack", STACK, "--run", "run-a", "--out", str(tmp_path)]

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "delete      2 users-table items: a1, a2" in out
    assert "delete      2 per-user IAM policies" in out
    assert "dry run: nothing deleted" in out
    assert rows(mocked_aws, table) == {"a1", "a2", "b1"}

    assert main([*args, "--yes"]) == 0
    assert rows(mocked_aws, table) == {"b1"}
    policies = mocked_aws.client("iam").list_policies(Scope="Local", PathPrefix=POLICY_PATH)
    assert [p["PolicyName"] for p in policies["Policies"]] == ["onramp-user-b1"]
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
