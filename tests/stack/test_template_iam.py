"""Least privilege: no wildcard actions, and Resource "*" only for justified actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Actions whose AWS API has no resource-level permissions, so IAM only accepts Resource "*".
RESOURCE_STAR_ALLOWED = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions (Tracing: Active)",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions (Tracing: Active)",
}


def statements(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy statement anywhere in ``node`` (roles, bucket/queue/topic/table policies)."""
    if isinstance(node, dict):
        if "Statement" in node and isinstance(node["Statement"], list):
            for statement in node["Statement"]:
                yield where, statement
        for key, value in node.items():
            yield from statements(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from statements(value, f"{where}[{index}]")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow_statements(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(w, s) for w, s in statements(resources) if s.get("Effect") == "Allow"]


def test_no_wildcard_actions(resources: dict[str, dict[str, Any]]) -> None:
    offenders = [
        (where, action)
        for where, statement in allow_statements(resources)
        for action in as_list(statement.get("Action", []))
        if isinstance(action, str) and (action == "*" or action.endswith(":*"))
    ]
    assert offenders == []


def test_resource_star_only_for_justified_actions(resources: dict[str, dict[str, Any]]) -> None:
    stars = [s for _, s in allow_statements(resources) if "*" in as_list(s.get("Resource", []))]
    assert stars, "the walk must see the X-Ray grants of every role"
    offenders = [
        (where, statement.get("Action"))
        for where, statement in allow_statements(resources)
        if "*" in as_list(statement.get("Resource", []))
        and not set(as_list(statement["Action"])) <= set(RESOURCE_STAR_ALLOWED)
    ]
    assert offenders == []


def test_no_statement_allows_every_principal(resources: dict[str, dict[str, Any]]) -> None:
    public = ("*", {"AWS": "*"})
    assert [w for w, s in allow_statements(resources) if s.get("Principal") in public] == []


def test_no_managed_policies_are_attached(resources: dict[str, dict[str, Any]]) -> None:
    roles = {k: v for k, v in resources.items() if v["Type"] == "AWS::IAM::Role"}
    assert roles
    assert all("ManagedPolicyArns" not in role["Properties"] for role in roles.values())


def test_allow_list_is_documented_in_the_template(sam_template: dict[str, Any]) -> None:
    documented = sam_template["Metadata"]["onramp"]["ResourceStarJustifications"]
    assert set(documented) == set(RESOURCE_STAR_ALLOWED)
    assert all(reason.strip() for reason in documented.values())


def test_the_check_can_fail() -> None:
    """Control: a broad grant is found by the same walk the tests above use."""
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Policies": [
                {
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
                    }
                }
            ]
        },
    }
    [(where, statement)] = allow_statements({"Broad": role})
    assert where == "Broad.Properties.Policies[0].PolicyDocument"
    assert statement["Action"] == "s3:*"
