"""Least privilege, proven from both sides: each function's role grants exactly the actions
its code calls (read from stack/src/onboarding) plus those Lambda needs on its behalf (logs,
X-Ray, stream reads, OnFailure delivery), each only on the resource it is used on. What a
signed-in user may do is tests/stack/security/test_user_space_isolation.py's.

Wildcard actions and Resource "*" are checked in tests/stack/test_template_iam.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from code_calls import AwsCall, PackageCalls

PACKAGE = Path(__file__).resolve().parents[3] / "stack" / "src" / "onboarding"
FUNCTIONS = ("RegisterFunction", "EnrichFunction", "ProvisionFunction", "DataLakeFunction")
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
TRACE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
STREAM_ACTIONS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}
EVERYTHING = "*"
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z]+)?\}")


def references(node: Any) -> set[str]:
    """Logical ids and parameters ``node`` refers to (Ref, GetAtt, Sub), pseudo ones aside."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Ref" in node:
            found.add(node["Ref"])
        elif "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else target.split(".")[0])
        elif "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            text, local = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            found |= set(_SUB_NAME.findall(text)) - set(local)
            found |= references(list(local.values()))
        else:
            found |= references(list(node.values()))
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return {name for name in found if not name.startswith("AWS::")}


def sub_texts(node: Any) -> list[str]:
    """The Fn::Sub template strings in ``node``."""
    if isinstance(node, dict):
        if "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            return [sub if isinstance(sub, str) else sub[0]]
        return [text for value in node.values() for text in sub_texts(value)]
    if isinstance(node, list):
        return [text for item in node for text in sub_texts(item)]
    return []


def names(resource: Any, target: Any) -> bool:
    """True when a policy ``resource`` names ``target`` (same logical id or parameter, or the
    target's Fn::Sub text inside the resource's, e.g. an IAM path inside a policy ARN)."""
    if target == EVERYTHING or resource == EVERYTHING:
        return resource == target
    if references(resource) & references(target):
        return True
    return any(t in r for t in sub_texts(target) for r in sub_texts(resource))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(role: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(action, resource) pairs every Allow statement of the role's inline policies grants."""
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    yield action, resource


def needs(
    resources: dict[str, dict[str, Any]], function: str, code: set[AwsCall]
) -> list[tuple[str, list[Any]]]:
    """What the function needs: (action, resources) pairs, the action on any of them (an
    adapter's resource is named by one of the settings it reads)."""
    props = resources[function]["Properties"]
    need = [(action, [props["LoggingConfig"]["LogGroup"]]) for action in LOG_ACTIONS]
    if props.get("TracingConfig", {}).get("Mode") == "Active":
        need += [(action, [EVERYTHING]) for action in TRACE_ACTIONS]  # no resource-level ARNs
    for mapping in resources.values():
        mapping_props = mapping["Properties"]
        if mapping["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        if mapping_props["FunctionName"] != {"Ref": function}:
            continue
        need += [(action, [mapping_props["EventSourceArn"]]) for action in STREAM_ACTIONS]
        on_failure = mapping_props.get("DestinationConfig", {}).get("OnFailure")
        if on_failure:
            need.append(("sqs:SendMessage", [on_failure["Destination"]]))
    environment = props["Environment"]["Variables"]
    for call in code:
        need.append((call.action, [environment[s] for s in call.settings if s in environment]))
    return need


@pytest.fixture(scope="module")
def package_calls() -> PackageCalls:
    return PackageCalls.read(PACKAGE)


Grants = list[tuple[str, Any]]
Needs = list[tuple[str, list[Any]]]


@pytest.fixture(scope="module", params=FUNCTIONS)
def grants_and_needs(
    request: pytest.FixtureRequest,
    translated_resources: dict[str, dict[str, Any]],
    package_calls: PackageCalls,
) -> tuple[Grants, Needs]:
    """One function's role grants, and what its code and event sources need."""
    props = translated_resources[request.param]["Properties"]
    module = props["Handler"].rsplit(".", 1)[0].split(".")[-1]
    code = package_calls.aws_calls(module)
    assert code, f"{module}: the code reader must see its AWS calls"
    role = translated_resources[props["Role"]["Fn::GetAtt"][0]]
    return list(granted(role)), needs(translated_resources, request.param, code)


def test_role_grants_exactly_the_actions_the_function_uses(
    grants_and_needs: tuple[Grants, Needs],
) -> None:
    grants, need = grants_and_needs
    assert {action for action, _ in grants} == {action for action, _ in need}


def test_every_grant_is_on_a_resource_the_function_uses(
    grants_and_needs: tuple[Grants, Needs],
) -> None:
    grants, need = grants_and_needs
    unused = [
        (action, resource)
        for action, resource in grants
        if not any(a == action and any(names(resource, t) for t in ts) for a, ts in need)
    ]
    assert unused == []
    missing = [
        (action, targets)
        for action, targets in need
        if not any(a == action and any(names(r, t) for t in targets) for a, r in grants)
    ]
    assert missing == []


def test_the_code_reader_sees_what_the_handlers_call(package_calls: PackageCalls) -> None:
    """Control: the reader finds the adapters' calls through the handlers' call chains."""
    register = {call.action for call in package_calls.aws_calls("register")}
    provision = {call.action for call in package_calls.aws_calls("provision")}
    # the pending row and its audit entry; the notice request and the source's counter
    assert register == {"dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert {
        "s3:PutObject",
        "cognito-idp:AdminCreateUser",
        "ses:SendEmail",
        "dynamodb:UpdateItem",
    } <= provision
    assert not any(name.startswith("iam:") for name in provision)
    assert not any(name.startswith("dynamodb:GetItem") for name in register | provision)


def test_a_grant_on_the_wrong_resource_is_found() -> None:
    """Control: an audit-table grant does not count as the users table's."""
    users = {"Ref": "UsersTable"}
    assert names({"Fn::GetAtt": ["UsersTable", "Arn"]}, users)
    assert not names({"Fn::GetAtt": ["AuditTable", "Arn"]}, users)
    assert names({"Fn::Sub": "${UserSpacesBucket.Arn}/users/*"}, {"Ref": "UserSpacesBucket"})
