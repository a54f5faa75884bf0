"""Defects a first real deploy (or the first redeploy) would hit, caught offline.

- Public mode imports no JWT authorizer: the API sets ``FailOnWarnings``, and API Gateway's
  OpenAPI import warns on an authorizer whose issuer it cannot use ("Warnings found during
  import: Unable to create Authorizer ...", recorded in aws/aws-sam-cli#2410; SAM #1727), so a
  placeholder issuer rolls the first deploy back.
- No retained resource has a fixed name: after ``sam delete`` a retained table stays, and a
  redeploy under the same stack name fails on a name that already exists.
- No ``RouteSettings`` entry repeats ``DefaultRouteSettings``: a per-route entry makes later
  route changes fail ("Unable to find Route by key ... within the provided RouteSettings",
  aws/serverless-application-model#1939, #2479).
- docs/deploy.md states the stream batch size and batching window the template sets.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from kernel.sam_template import STACK_DIR, Resolver, resources_of_type

DEPLOY_GUIDE = STACK_DIR.parent / "docs" / "deploy.md"
RETAINING_POLICIES = {"Retain", "RetainExceptOnDelete"}
STREAM_FUNCTIONS = ("EnrichFunction", "ProvisionFunction")


def resolved_body(translated: dict[str, Any], auth_mode: str) -> dict[str, Any]:
    """The HTTP API's OpenAPI body as CloudFormation resolves it for one AuthMode."""
    resolver = Resolver(
        translated,
        {"AuthMode": auth_mode, "JwtIssuer": "https://id.example.com/", "JwtAudience": "onramp"},
        {"RegisterFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:register"},
    )
    return resolver.resolve(translated["Resources"]["HttpApi"]["Properties"]["Body"])


def jwt_issuers(value: Any) -> list[Any]:
    """Every ``jwtConfiguration.issuer`` anywhere in a resolved OpenAPI body."""
    if isinstance(value, dict):
        found = [value["jwtConfiguration"].get("issuer")] if "jwtConfiguration" in value else []
        return found + [i for v in value.values() for i in jwt_issuers(v)]
    if isinstance(value, list):
        return [i for v in value for i in jwt_issuers(v)]
    return []


def test_the_api_fails_on_import_warnings(resources: dict[str, dict[str, Any]]) -> None:
    """Kept on purpose (a half-imported API is worse than a failed deploy), which is why the
    public mode must import nothing that warns."""
    assert resources["HttpApi"]["Properties"]["FailOnWarnings"] is True


def test_public_mode_declares_no_authorizer(
    translated: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    body = resolved_body(translated, "public")
    assert jwt_issuers(body) == []
    assert (body.get("components") or {}).get("securitySchemes") is None
    assert body["paths"]["/register"]["post"].get("security") is None  # AWS::NoValue
    assert not resources_of_type(translated, "AWS::ApiGatewayV2::Authorizer")


def test_jwt_mode_declares_the_authorizer_with_the_given_issuer(translated: dict[str, Any]) -> None:
    body = resolved_body(translated, "jwt")
    assert jwt_issuers(body) == ["https://id.example.com/"]
    assert body["paths"]["/register"]["post"]["security"] == [{"OnrampJwt": []}]


def names_fixed_by_the_stack(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource's name properties (``TableName``, ``BucketName``...) whose value the
    stack name and parameters fix: only ``AWS::StackId`` differs between two stacks of the
    same name."""
    return {
        key: value
        for key, value in (resource.get("Properties") or {}).items()
        if key.endswith("Name") and "AWS::StackId" not in references(value)
    }


def references(value: Any) -> set[str]:
    """Names a value refers to: ``Ref`` targets and ``${...}`` variables of ``Fn::Sub``."""
    if isinstance(value, dict):
        found = {value["Ref"]} if isinstance(value.get("Ref"), str) else set()
        sub = value.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) else sub
        if isinstance(text, str):
            found |= set(re.findall(r"\$\{([^}!][^}]*)\}", text))
        return found | {r for v in value.values() for r in references(v)}
    if isinstance(value, list):
        return {r for v in value for r in references(v)}
    return set()


def retained(resource: dict[str, Any]) -> bool:
    return bool(
        {resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")} & RETAINING_POLICIES
    )


@pytest.mark.parametrize("table", ["UsersTable", "AuditTable"])
def test_the_tables_outlive_a_stack_delete_and_a_replacement(
    sam_template: dict[str, Any], table: str
) -> None:
    """The users (every onboarded customer) and the audit trail survive ``sam delete`` and an
    update that would replace the table: CloudFormation's DeletionPolicy attribute does not
    apply to a replaced resource, UpdateReplacePolicy does (AWS CloudFormation User Guide,
    "DeletionPolicy attribute" and "UpdateReplacePolicy attribute")."""
    resource = sam_template["Resources"][table]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_no_retained_resource_has_a_fixed_name(sam_template: dict[str, Any]) -> None:
    kept = {k: r for k, r in sam_template["Resources"].items() if retained(r)}
    assert {"AuditTable", "UsersTable"} <= kept.keys()  # the audit trail and every user
    assert {k: names_fixed_by_the_stack(r) for k, r in kept.items()} == {k: {} for k in kept}


def test_the_fixed_name_check_can_fail() -> None:
    """Control: the audit table as it was (``${AWS::StackName}-audit``) is reported."""
    before = {
        "DeletionPolicy": "Retain",
        "Properties": {"TableName": {"Fn::Sub": "${AWS::StackName}-audit"}},
    }
    assert retained(before)
    assert names_fixed_by_the_stack(before) == {"TableName": {"Fn::Sub": "${AWS::StackName}-audit"}}


def test_the_audit_table_name_differs_per_stack_and_matches_its_own_policy(
    sam_template: dict[str, Any],
) -> None:
    table = sam_template["Resources"]["AuditTable"]
    names = []
    for stack_uuid in ("51af3dc0-da77-11e4-872e-1234567db123", "7a4b3c2d-0000-4000-8000-0000aa"):
        resolver = Resolver(
            sam_template,
            {
                "AWS::StackId": f"arn:aws:cloudformation:us-east-1:"
                f"123456789012:stack/st/{stack_uuid}"
            },
            stack_name="st",
        )
        name = resolver.resolve(table["Properties"]["TableName"])
        [statement] = resolver.resolve(table["Properties"]["ResourcePolicy"])["PolicyDocument"][
            "Statement"
        ]
        assert statement["Resource"].endswith(f":table/{name}")
        assert name == f"st-audit-{stack_uuid}"
        assert len(name) <= 255 and re.fullmatch(r"[A-Za-z0-9_.-]+", name)  # DynamoDB's rule
        names.append(name)
    assert names[0] != names[1]


def test_route_settings_do_not_repeat_the_default_route_settings(
    sam_template: dict[str, Any],
) -> None:
    for api in resources_of_type(sam_template, "AWS::Serverless::HttpApi").values():
        defaults = api["Properties"].get("DefaultRouteSettings") or {}
        for route, settings in (api["Properties"].get("RouteSettings") or {}).items():
            repeated = {k: v for k, v in settings.items() if defaults.get(k) == v}
            assert repeated != settings, f"RouteSettings {route} only repeats the defaults"


@pytest.mark.parametrize("function", STREAM_FUNCTIONS)
def test_deploy_guide_states_the_templates_batching(
    sam_template: dict[str, Any], function: str
) -> None:
    guide = DEPLOY_GUIDE.read_text(encoding="utf-8")
    found = re.search(r"batch (\d+), batching window (\d+) s", guide)
    assert found, "docs/deploy.md no longer states the stream batching"
    [event] = sam_template["Resources"][function]["Properties"]["Events"].values()
    props = event["Properties"]
    assert int(found[1]) == props["BatchSize"]
    assert int(found[2]) == props.get("MaximumBatchingWindowInSeconds", 0)
