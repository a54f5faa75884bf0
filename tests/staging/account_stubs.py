"""An account for the preflight: moto where it speaks the API, botocore stubs where it does not.

moto answers CloudFormation (the stack and its parameters), SES ``GetSendQuota`` (a sandbox
account's 200 a day, 1 a second) and IAM ``GetAccountSummary`` (1,500 managed policies) over
the wire. It has no SESv2 ``GetAccount``, Lambda ``GetAccountSettings``, Cost Explorer
``ListCostAllocationTags`` or Service Quotas for Cognito: those answer from botocore's Stubber,
with the response shapes of AWS's API references.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.stub import Stubber

from onramp.staging.session import AwsSession

STACK = "onramp-staging"
PARAMETERS = ("RegisterRateLimit", "AlarmEmail", "BudgetEmail")


def deploy_stack(aws: AwsSession, **values: str) -> None:
    """A stack whose parameters are the preflight's (RegisterRateLimit 50 by default)."""
    template = {
        "Parameters": {name: {"Type": "String", "Default": ""} for name in PARAMETERS},
        "Resources": {"DeadLetterQueue": {"Type": "AWS::SQS::Queue"}},
    }
    given = {"RegisterRateLimit": "50", **values}
    aws.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()],
    )


def _stubbed(service: str, region: str, responses: list[tuple[str, dict[str, Any]]]) -> Any:
    client = boto3.client(service, region_name=region)
    stubber = Stubber(client)
    for operation, response in responses:
        stubber.add_response(operation, response)
    stubber.activate()
    return client


def account(
    aws: AwsSession,
    production: bool = False,
    unreserved: int = 990,
    tags: dict[str, str] | None = None,
) -> Callable[..., Any]:
    """The client factory the preflight reads the account with."""
    active = {"onramp:stack": "Active", "onramp:stage": "Active"} if tags is None else tags
    stubbed = {
        "sesv2": [("get_account", {"ProductionAccessEnabled": production, "SendingEnabled": True})],
        "lambda": [
            (
                "get_account_settings",
                {
                    "AccountLimit": {
                        "ConcurrentExecutions": 1000,
                        "UnreservedConcurrentExecutions": unreserved,
                    },
                    "AccountUsage": {"FunctionCount": 4},
                },
            )
        ],
        "ce": [
            (
                "list_cost_allocation_tags",
                {
                    "CostAllocationTags": [
                        {"TagKey": key, "Type": "UserDefined", "Status": status}
                        for key, status in active.items()
                    ]
                },
            )
        ],
    }

    def client(service: str, region: str | None = None) -> Any:
        if service in stubbed:
            return _stubbed(service, region or aws.region, stubbed[service])
        return aws.client(service, region)

    return client
