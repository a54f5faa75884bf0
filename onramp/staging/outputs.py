"""A deployed stack as CloudFormation knows it: its outputs by name and its resources.

Example::

    stack = describe_stack(aws.client("cloudformation"), "onramp-staging", "eu-west-1")
    stack.output("ApiUrl")                         # https://abc123.execute-api...
    stack.physical_id("RegisterFunction")          # onramp-staging-RegisterFunction-XYZ
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from kernel.errors import UsageError


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack."""

    logical_id: str
    resource_type: str
    physical_id: str


@dataclass(frozen=True)
class Stack:
    """Name, region, outputs (OutputKey -> OutputValue) and resources by logical id."""

    name: str
    region: str
    outputs: dict[str, str]
    resources: dict[str, StackResource]

    def output(self, key: str) -> str:
        """One output's value; UsageError naming the stack and the key if it is absent."""
        if key not in self.outputs:
            known = ", ".join(sorted(self.outputs)) or "none"
            raise UsageError(f"stack {self.name} has no output {key} (outputs: {known})")
        return self.outputs[key]

    def physical_id(self, logical_id: str) -> str | None:
        """The deployed name/id of a resource, or None if the stack has no such resource."""
        resource = self.resources.get(logical_id)
        return resource.physical_id if resource else None

    def of_type(self, resource_type: str) -> dict[str, StackResource]:
        """Every resource of one CloudFormation type, by logical id."""
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.resource_type == resource_type
        }


def stack_outputs(cloudformation: Any, name: str, region: str) -> dict[str, str]:
    """The stack's outputs, OutputKey -> OutputValue (DescribeStacks)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if _is_missing(exc):
            raise UsageError(f"stack {name} not found in region {region}") from exc
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def describe_stack(cloudformation: Any, name: str, region: str) -> Stack:
    """Outputs plus every resource (ListStackResources, paginated)."""
    outputs = stack_outputs(cloudformation, name, region)
    resources: dict[str, StackResource] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            resources[summary["LogicalResourceId"]] = StackResource(
                logical_id=summary["LogicalResourceId"],
                resource_type=summary["ResourceType"],
                physical_id=summary.get("PhysicalResourceId", ""),
            )
    return Stack(name=name, region=region, outputs=outputs, resources=resources)


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", "")
