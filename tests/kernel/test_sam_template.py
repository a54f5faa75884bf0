"""The template reader: Globals merged, intrinsics resolved to local names."""

from pathlib import Path

import pytest

from kernel.errors import UsageError
from kernel.sam_template import Resolver, functions, load_template

TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: dev}
  EnableX: {Type: String, Default: "false"}
Conditions:
  XEnabled: !Equals [!Ref EnableX, "true"]
Globals:
  Function:
    Runtime: python3.13
    MemorySize: 256
    Architectures: [arm64]
    Environment:
      Variables:
        TABLE: !Ref UsersTable
Resources:
  UsersTable: {Type: AWS::DynamoDB::Table}
  RegisterFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: onboarding.handlers.register.handler
      CodeUri: src/
      Timeout: 10
      Environment:
        Variables:
          NAME: !Sub "${AWS::StackName}-${Stage}"
          ARN: !GetAtt UsersTable.Arn
          MAYBE: !If [XEnabled, "on", "off"]
"""


@pytest.fixture
def template(tmp_path: Path) -> dict:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return load_template(path)


def test_functions_merge_globals(template: dict, tmp_path: Path) -> None:
    (fn,) = functions(template, tmp_path)
    assert (fn.key, fn.memory_mb, fn.timeout_s, fn.architecture) == ("register", 256, 10, "arm64")
    assert fn.code_dir == (tmp_path / "src").resolve()
    assert set(fn.environment) == {"TABLE", "NAME", "ARN", "MAYBE"}


def test_resolver_resolves_local_names(template: dict, tmp_path: Path) -> None:
    (fn,) = functions(template, tmp_path)
    resolver = Resolver(
        template,
        refs={"UsersTable": "users-local"},
        attributes={"UsersTable.Arn": "arn:aws:dynamodb:us-east-1:1:table/users-local"},
        stack_name="onramp-local",
    )
    assert resolver.resolve(fn.environment) == {
        "TABLE": "users-local",
        "NAME": "onramp-local-dev",
        "ARN": "arn:aws:dynamodb:us-east-1:1:table/users-local",
        "MAYBE": "off",
    }


def test_unknown_ref_is_a_clear_error(template: dict) -> None:
    with pytest.raises(KeyError, match="UsersTable"):
        Resolver(template, refs={}).resolve({"Ref": "UsersTable"})


def test_missing_or_malformed_template(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read template"):
        load_template(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [unclosed")
    with pytest.raises(UsageError, match="not valid YAML"):
        load_template(bad)
