"""An account for the preflight: moto where it speaks the API, botocore stubs where it does not.

moto answers CloudFormation (the stack, its parameters and outputs), SES ``GetSendQuota`` (a
sandbox account's 200 a day, 1 a second) and Cognito ``DescribeUserPool`` (the pool's
estimated users) over the wire. It has no SESv2 ``GetAccount``, Lambda
``GetAccountSettings``, Cost Explorer ``ListCostAllocationTags`` or Service Quotas for
Cognito (nor CloudFormation's ``AWS::Cognito::UserPool``: the pool is made by its API and
named by the ``UserPoolId`` output, as the template's is): those answer from botocore's
Stubber, with the response shapes of AWS's API references. The Cognito quota answers as an
account that never changed it: no applied value, AWS's default of 50 UserCreation requests a
second ("Quotas in Amazon Cognito"; docs/deploy.md).
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


USER_CREATION_DEFAULT_RPS = 50.0


def deploy_stack(aws: AwsSession, pool_users: int = 0, **values: str) -> None:
    """A stack whose parameters are the preflight's (RegisterRateLimit 50 by default), with a
    user pool holding ``pool_users`` users."""
    cognito = aws.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName=f"{STACK}-users")["UserPool"]["Id"]
    for n in range(pool_users):
        cognito.admin_create_user(UserPoolId=pool_id, Username=f"u{n}", MessageAction="SUPPRESS")
    template = {
        "Parameters": {name: {"Type": "String", "Default": ""} for name in PARAMETERS},
        "Resources": {"DeadLetterQueue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"UserPoolId": {"Value": pool_id}},
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
        "service-quotas": [
            ("list_service_quotas", {"Quotas": []}),
            (
                "list_aws_default_service_quotas",
                {
                    "Quotas": [
                        {
                            "ServiceCode": "cognito-idp",
                            "QuotaName": "Rate of UserCreation requests",
                            "Value": USER_CREATION_DEFAULT_RPS,
                        }
                    ]
                },
            ),
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
