"""What a real account allows the pipeline, read from its own APIs before any traffic.

Every figure comes from the account (never a hard-coded default): SES's sending quota
(``GetSendQuota``) and sandbox status (SESv2 ``GetAccount``: ``ProductionAccessEnabled``),
Lambda's concurrency (``GetAccountSettings``), the stack's user pool (the provisioning
function makes one pool user per onboarding with ``AdminCreateUser``): the ``UserCreation``
request rate the account is allowed (Service Quotas: the applied value, else AWS's default)
and the pool's estimated user count (``DescribeUserPool``), the stack's parameters
(``DescribeStacks``) and whether its cost-allocation tags are active (Cost Explorer
``ListCostAllocationTags``). A call the operator may not make (Cost Explorer from a member
account, say) leaves its figure ``None``: the preflight then says it could not check.

Example::

    limits = read_account_limits(aws.client, "onramp-staging")
    limits.ses.max_send_rate, limits.ses.production   # 1.0, False in a sandbox account
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from onramp.staging.outputs import describe_stack

COST_TAGS = ("onramp:stack", "onramp:stage")
"""The cost-allocation tags every resource of the stack carries (docs/deploy.md)."""
COGNITO_USER_CREATION = "Rate of UserCreation requests"
"""Service Quotas' name of the Cognito user-pool quota AdminCreateUser/SignUp count against."""

ClientFactory = Callable[..., Any]


@dataclass(frozen=True)
class SesLimits:
    """The account's SES sending limits in the stack's region (``production`` None: unknown)."""

    max_send_rate: float
    max_24_hour_send: float  # -1: unlimited
    sent_last_24_hours: float
    production: bool | None


@dataclass(frozen=True)
class AccountLimits:
    """Everything the preflight judges a planned test against."""

    region: str
    stack_parameters: dict[str, str]
    user_pool_id: str | None  # the stack's UserPoolId output; None for a stack without one
    ses: SesLimits
    lambda_unreserved_concurrency: int | None
    cognito_user_creation_rps: float | None
    pool_users: int | None  # the stack's user pool's EstimatedNumberOfUsers
    cost_tags: dict[str, str] | None = field(default=None)  # tag -> Active | Inactive | absent

    def parameter(self, name: str) -> str:
        """One stack parameter's value ("" when the stack has no such parameter)."""
        return self.stack_parameters.get(name, "")


def read_account_limits(client: ClientFactory, stack_name: str) -> AccountLimits:
    """Read the limits with ``client(service)`` / ``client(service, region)`` (boto3 clients)."""
    cloudformation = client("cloudformation")
    region = cloudformation.meta.region_name
    stack = describe_stack(cloudformation, stack_name, region)
    described = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    parameters = {
        p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", ""))
        for p in described.get("Parameters", [])
    }
    pool_id = stack.outputs.get("UserPoolId")
    return AccountLimits(
        region=region,
        stack_parameters=parameters,
        user_pool_id=pool_id,
        ses=_ses_limits(client),
        lambda_unreserved_concurrency=_optional(
            lambda: client("lambda").get_account_settings()["AccountLimit"][
                "UnreservedConcurrentExecutions"
            ]
        ),
        cognito_user_creation_rps=(
            _optional(lambda: _cognito_user_creation_rps(client("service-quotas")))
            if pool_id
            else None
        ),
        pool_users=(
            _optional(lambda: _estimated_users(client("cognito-idp"), pool_id)) if pool_id else None
        ),
        # Cost Explorer's API is served from us-east-1 for every region.
        cost_tags=_optional(lambda: _cost_tag_status(client("ce", "us-east-1"))),
    )


def _ses_limits(client: ClientFactory) -> SesLimits:
    quota = client("ses").get_send_quota()
    account = _optional(lambda: client("sesv2").get_account())
    return SesLimits(
        max_send_rate=float(quota["MaxSendRate"]),
        max_24_hour_send=float(quota["Max24HourSend"]),
        sent_last_24_hours=float(quota["SentLast24Hours"]),
        production=None if account is None else bool(account.get("ProductionAccessEnabled")),
    )


def _cost_tag_status(ce: Any) -> dict[str, str]:
    """``{"onramp:stack": "Active", ...}``; a tag no resource has reported yet is ``absent``."""
    status = dict.fromkeys(COST_TAGS, "absent")
    token: str | None = None
    while True:
        page = ce.list_cost_allocation_tags(
            TagKeys=list(COST_TAGS), Type="UserDefined", **({"NextToken": token} if token else {})
        )
        for tag in page.get("CostAllocationTags", []):
            status[tag["TagKey"]] = tag["Status"]
        token = page.get("NextToken")
        if not token:
            return status


def _cognito_user_creation_rps(quotas: Any) -> float | None:
    """The applied UserCreation rate; AWS's default when the account never changed it."""
    for operation in ("list_service_quotas", "list_aws_default_service_quotas"):
        for page in quotas.get_paginator(operation).paginate(ServiceCode="cognito-idp"):
            for quota in page.get("Quotas", []):
                if quota.get("QuotaName") == COGNITO_USER_CREATION:
                    return float(quota["Value"])
    return None


def _estimated_users(cognito: Any, pool_id: str) -> int:
    return int(cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["EstimatedNumberOfUsers"])


def _optional(call: Callable[[], Any]) -> Any:
    """The call's result, or None when AWS refuses it (the preflight says it could not check)."""
    try:
        return call()
    except ClientError:
        return None
