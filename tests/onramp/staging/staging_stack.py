"""A small onramp-shaped stack in moto, with CloudWatch datapoints for one load test."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from onramp.staging.session import AwsSession

STACK = "onramp-staging"
API_ID = "abc123"
FUNCTIONS = {"register": 256, "enrich": 512, "provision": 512}


def _function(role: str, memory_mb: int) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.13",
            "Handler": "index.handler",
            "Role": role,
            "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
            "MemorySize": memory_mb,
            "Timeout": 10,
        },
    }


def _table(*keys: str) -> dict[str, Any]:
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
            "KeySchema": [
                {"AttributeName": k, "KeyType": kind}
                for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
        },
    }


@dataclass(frozen=True)
class DeployedStack:
    """Physical names of the moto stack's resources."""

    resources: dict[str, str]

    def function(self, key: str) -> str:
        return self.resources[f"{key.capitalize()}Function"]

    def table(self, logical_id: str) -> str:
        return self.resources[logical_id]


def deploy(aws: AwsSession) -> DeployedStack:
    """Create the stack (moto's CloudFormation has no ApiGatewayV2: the ApiUrl output says)."""
    role = aws.client("iam").create_role(RoleName="onramp-fn", AssumeRolePolicyDocument="{}")
    resources: dict[str, Any] = {
        f"{key.capitalize()}Function": _function(role["Role"]["Arn"], memory)
        for key, memory in FUNCTIONS.items()
    }
    resources |= {
        "UsersTable": _table("user_id"),
        "AuditTable": _table("user_id", "event_id"),
        "DeadLetterQueue": {"Type": "AWS::SQS::Queue"},
        "UserSpacesBucket": {"Type": "AWS::S3::Bucket"},
    }
    template = {
        "Resources": resources,
        "Outputs": {"ApiUrl": {"Value": f"https://{API_ID}.execute-api.us-east-1.amazonaws.com"}},
    }
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return DeployedStack({s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries})


def _datum(metric: str, dims: dict[str, str], value: float, when: datetime) -> dict[str, Any]:
    return {
        "MetricName": metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Value": value,
        "Timestamp": when,
    }


def put_load_test_metrics(aws: AwsSession, stack: DeployedStack, at: datetime) -> None:
    """100 registrations (90 accepted, 10 rejected): 85 completed, 2 dead letters."""
    cloudwatch = aws.client("cloudwatch")

    def put(namespace: str, data: list[dict[str, Any]]) -> None:
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)

    api = {"ApiId": API_ID}
    put(
        "AWS/ApiGateway",
        [
            _datum("Count", api, 100, at),
            _datum("4xx", api, 10, at),
            _datum("5xx", api, 0, at),
            _datum("DataProcessed", api, 40_000, at),
            *(
                _datum("Latency", api, ms, at + timedelta(seconds=i))
                for i, ms in enumerate([20, 30, 50])
            ),
        ],
    )
    for key, invocations in (("register", 100), ("enrich", 90), ("provision", 87)):
        fn = {"FunctionName": stack.function(key)}
        put(
            "AWS/Lambda",
            [
                _datum("Invocations", fn, invocations, at),
                _datum("Errors", fn, 2 if key == "provision" else 0, at),
                _datum("Throttles", fn, 0, at),
                *(
                    _datum("Duration", fn, ms, at + timedelta(seconds=i))
                    for i, ms in enumerate([10, 20, 900])
                ),
            ],
        )
        log_group = {"LogGroupName": f"/aws/lambda/{stack.function(key)}"}
        put("AWS/Logs", [_datum("IncomingBytes", log_group, 1000 * invocations, at)])
    for logical_id, units in (("UsersTable", 270), ("AuditTable", 265)):
        table = {"TableName": stack.table(logical_id)}
        put("AWS/DynamoDB", [_datum("ConsumedWriteCapacityUnits", table, units, at)])
    queue = {"QueueName": stack.resources["DeadLetterQueue"].rsplit("/", 1)[-1]}
    put("AWS/SQS", [_datum("NumberOfMessagesSent", queue, 2, at)])
    put("AWS/SES", [_datum("Send", {}, 85, at)])
    service = {"service": "onramp"}  # the Lambda code's EMF counts
    put("Onramp", [_datum("Registrations", service, 90, at), _datum("Provisions", service, 85, at)])
