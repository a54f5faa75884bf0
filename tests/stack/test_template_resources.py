"""The template translates offline into the resources docs/architecture.md promises."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from kernel.sam_template import Resolver

FUNCTIONS = {
    "RegisterFunction": "onboarding.handlers.register.handler",
    "EnrichFunction": "onboarding.handlers.enrich.handler",
    "ProvisionFunction": "onboarding.handlers.provision.handler",
    "DataLakeFunction": "onboarding.handlers.datalake.handler",
}
STREAM_SOURCES = {
    "EnrichFunction": ("EnrichFunctionUsersStream", "UsersTable"),
    "ProvisionFunction": ("ProvisionFunctionUsersStream", "UsersTable"),
    "DataLakeFunction": ("DataLakeFunctionAuditStream", "AuditTable"),
}
MAX_READERS_PER_STREAM = 2
"""DynamoDB Streams API reference, LimitExceededException of GetRecords/GetShardIterator: more
than two processes reading the same streams shard at the same time may be throttled."""
OUTPUTS = {
    "ApiUrl",
    "UsersTableName",
    "AuditTableName",
    "DeadLetterQueueUrl",
    "DeadLetterQueueName",
    "UserSpacesBucketName",
    "AlarmTopicArn",
}
TAG_KEYS = {"onramp:stack", "onramp:stage"}


def of_type(resources: dict[str, dict[str, Any]], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == type_name}


def tag_keys(tags: Any) -> set[str]:
    """Tag keys from either CloudFormation shape: a list of Key/Value or a plain map."""
    return {t["Key"] for t in tags} if isinstance(tags, list) else set(tags)


@pytest.mark.parametrize(("logical_id", "handler"), FUNCTIONS.items())
def test_functions_are_python313_arm64_with_own_log_group_and_role(
    resources: dict[str, dict[str, Any]], logical_id: str, handler: str
) -> None:
    props = resources[logical_id]["Properties"]
    assert resources[logical_id]["Type"] == "AWS::Lambda::Function"
    assert props["Handler"] == handler
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 256
    assert 1 <= props["Timeout"] <= 60
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Role"] == {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}
    logging = props["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    log_group = resources[logging["LogGroup"]["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert tag_keys(props["Tags"]) >= TAG_KEYS


def test_data_lake_is_off_by_default_and_conditional(
    sam_template: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    assert sam_template["Parameters"]["EnableDataLake"]["Default"] == "false"
    conditional = {k for k, v in resources.items() if v.get("Condition") == "DataLakeEnabled"}
    assert {
        "DataLakeFunction",
        "DataLakeFunctionAuditStream",
        "DataLakeFunctionRole",
        "DataLakeBucket",
        "DataLakeLogGroup",
        "DataLakeErrorRateAlarm",
        "DataLakeDurationAlarm",
    } <= conditional


def test_environment_variables_follow_the_contract(resources: dict[str, dict[str, Any]]) -> None:
    env = {k: resources[k]["Properties"]["Environment"]["Variables"] for k in FUNCTIONS}
    common = {"USERS_TABLE", "AUDIT_TABLE", "AUDIT_TTL_DAYS", "POWERTOOLS_SERVICE_NAME"}
    assert all(common <= set(variables) for variables in env.values())
    assert {"ALLOWED_EMAIL_DOMAINS", "LOOKUP_PROVIDER", "LOOKUP_TIMEOUT_MS"} <= set(
        env["EnrichFunction"]
    )
    assert {"USER_SPACES_BUCKET", "USER_POOL_ID", "SENDER_EMAIL"} <= set(env["ProvisionFunction"])
    assert {"DATA_LAKE_BUCKET", "DATA_LAKE_PREFIX"} <= set(env["DataLakeFunction"])


@pytest.mark.parametrize("function", sorted(STREAM_SOURCES))
def test_stream_event_sources_are_bounded_and_dead_lettered(
    resources: dict[str, dict[str, Any]], function: str
) -> None:
    logical_id, table = STREAM_SOURCES[function]
    mapping = resources[logical_id]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
    assert props["FunctionName"] == {"Ref": function}
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 <= props["MaximumRetryAttempts"] <= 10  # never the unbounded default (-1)
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 86_400
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] >= 1
    assert "MaximumBatchingWindowInSeconds" in props
    destination = props["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    filters = props["FilterCriteria"]["Filters"]
    assert 1 <= len(filters) <= 5  # Lambda's default quota: 5 filters per event source mapping
    assert all(isinstance(json.loads(f["Pattern"]), dict) for f in filters)


@pytest.mark.parametrize("data_lake", [False, True])
def test_no_stream_has_more_than_two_readers(
    resources: dict[str, dict[str, Any]], data_lake: bool
) -> None:
    deployed = {None, "DataLakeEnabled"} if data_lake else {None}
    readers: dict[str, list[str]] = {}
    for logical_id, mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").items():
        if mapping.get("Condition") in deployed:
            table, _ = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"]
            readers.setdefault(table, []).append(logical_id)
    assert readers["UsersTable"] == ["EnrichFunctionUsersStream", "ProvisionFunctionUsersStream"]
    assert ("AuditTable" in readers) is data_lake
    assert all(len(ids) <= MAX_READERS_PER_STREAM for ids in readers.values()), readers
    assert sum(map(len, readers.values())) == 2 + data_lake


def test_users_table_is_on_demand_streamed_recoverable_encrypted_with_ttl(
    resources: dict[str, dict[str, Any]],
) -> None:
    props = resources["UsersTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "user_id", "KeyType": "HASH"}]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_audit_table_is_keyed_by_user_and_event_and_denies_changes(
    resources: dict[str, dict[str, Any]],
) -> None:
    audit = resources["AuditTable"]
    props = audit["Properties"]
    assert audit["DeletionPolicy"] == "Retain"
    assert props["KeySchema"] == [
        {"AttributeName": "user_id", "KeyType": "HASH"},
        {"AttributeName": "event_id", "KeyType": "RANGE"},
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # Streamed for the data lake only (its reader, not a third on the Users stream); entries
    # are only inserted, so the new image is all there is.
    assert props["StreamSpecification"] == {
        "Fn::If": ["DataLakeEnabled", {"StreamViewType": "NEW_IMAGE"}, {"Ref": "AWS::NoValue"}]
    }
    [deny] = props["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= set(deny["Action"])


# Every DynamoDB action that changes or removes an existing item (DynamoDB API reference:
# BatchWriteItem carries DeleteRequest too; PartiQL's UPDATE and DELETE statements are
# dynamodb:PartiQLUpdate and dynamodb:PartiQLDelete; a transaction's Update and Delete are
# authorised as UpdateItem and DeleteItem).
ITEM_CHANGING_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
AUDIT_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/st-audit-1"


def audit_changing_grants(resources: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(resource, action) for every Allow anywhere in ``resources`` that lets its holder change
    or delete an audit entry: an item-changing action (wildcards expanded) on a resource that
    names the audit table, is ``*``, or is an ARN pattern the audit table's ARN matches."""
    found = []
    for logical_id, resource in resources.items():
        for statement in iam_statements(resource):
            targets = as_list(statement.get("Resource", []))
            if statement.get("Effect") != "Allow" or not any(map(covers_audit, targets)):
                continue
            for action in as_list(statement.get("Action", [])):
                found += [
                    (logical_id, changing)
                    for changing in ITEM_CHANGING_ACTIONS
                    if fnmatch.fnmatchcase(changing.lower(), str(action).lower())
                ]
    return found


def covers_audit(resource: Any) -> bool:
    """True when a policy resource names the audit table or a pattern its ARN matches."""
    if "AuditTable" in json.dumps(resource):
        return True
    return isinstance(resource, str) and fnmatch.fnmatchcase(AUDIT_ARN, resource)


def iam_statements(node: Any) -> list[dict[str, Any]]:
    """Every policy statement anywhere in ``node``."""
    if isinstance(node, dict):
        own = node["Statement"] if isinstance(node.get("Statement"), list) else []
        return own + [s for value in node.values() for s in iam_statements(value)]
    if isinstance(node, list):
        return [s for value in node for s in iam_statements(value)]
    return []


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_role_may_change_or_delete_an_audit_entry(
    resources: dict[str, dict[str, Any]],
) -> None:
    """Append-only for real: no role or policy of the stack grants an item-changing action on
    the audit table (PutItem, conditional on a new key in the code, is the only write)."""
    assert audit_changing_grants(resources) == []
    writers = [
        logical_id
        for logical_id, resource in of_type(resources, "AWS::IAM::Role").items()
        for statement in iam_statements(resource)
        if "AuditTable" in json.dumps(statement.get("Resource"))
    ]
    assert writers  # the check above looked at real grants


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("dynamodb:UpdateItem", {"Fn::GetAtt": ["AuditTable", "Arn"]}),
        ("dynamodb:*", {"Fn::GetAtt": ["AuditTable", "Arn"]}),
        ("dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:123456789012:table/st-audit-*"),
        ("dynamodb:BatchWriteItem", {"Fn::Sub": "${AuditTable.Arn}"}),
        ("dynamodb:Partiql*", {"Fn::GetAtt": ["AuditTable", "Arn"]}),
    ],
)
def test_the_audit_grant_check_can_fail(action: str, resource: Any) -> None:
    """Control: a role granting one of these is reported."""
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Policies": [
                {
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]
                    }
                }
            ]
        },
    }
    assert audit_changing_grants({"BadRole": role})


def test_user_spaces_bucket_is_private_encrypted_and_tls_only(
    resources: dict[str, dict[str, Any]],
) -> None:
    props = resources["UserSpacesBucket"]["Properties"]
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [statement] = resources["UserSpacesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dead_letter_queue_is_encrypted(resources: dict[str, dict[str, Any]]) -> None:
    assert resources["DeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True


def test_http_api_route_throttling_cors_and_access_logs(
    resources: dict[str, dict[str, Any]],
) -> None:
    body = resources["HttpApi"]["Properties"]["Body"]
    integration = body["paths"]["/register"]["post"]["x-amazon-apigateway-integration"]
    assert integration["payloadFormatVersion"] == "2.0"
    assert "RegisterFunction.Arn" in integration["uri"]["Fn::Sub"]
    assert body["x-amazon-apigateway-cors"]["allowMethods"] == ["POST", "OPTIONS"]
    stage = resources["HttpApiApiGatewayDefaultStage"]["Properties"]
    # Throttling on the stage's default route settings only (tests/stack/
    # test_template_first_deploy.py: a RouteSettings repeat breaks later route changes).
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "RegisterRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "RegisterBurstLimit"},
    }
    assert stage["AccessLogSettings"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }
    json.loads(stage["AccessLogSettings"]["Format"])  # a JSON access-log line
    permission = resources["RegisterFunctionRegisterPermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"


JWT_SECURITY = [{"OnrampJwt": []}]


@pytest.mark.parametrize(("auth_mode", "security"), [("public", None), ("jwt", JWT_SECURITY)])
def test_auth_mode_switches_the_route_authorizer(
    translated: dict[str, Any], auth_mode: str, security: Any
) -> None:
    resolver = Resolver(
        translated,
        {"AuthMode": auth_mode, "JwtIssuer": "https://id.example.com/", "JwtAudience": "onramp"},
        {"RegisterFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:register"},
    )
    body = resolver.resolve(translated["Resources"]["HttpApi"]["Properties"]["Body"])
    assert body["paths"]["/register"]["post"].get("security") == security
    schemes = body["components"]["securitySchemes"]
    if auth_mode == "public":
        assert schemes is None  # AWS::NoValue: no authorizer is imported at all
    else:
        jwt = schemes["OnrampJwt"]["x-amazon-apigateway-authorizer"]
        assert jwt["type"] == "jwt"
        assert jwt["jwtConfiguration"] == {
            "issuer": "https://id.example.com/",
            "audience": ["onramp"],
        }


def test_alarms_cover_errors_duration_writes_and_dead_letters(
    resources: dict[str, dict[str, Any]],
) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    for function in FUNCTIONS:
        short = function.removesuffix("Function")
        rate = alarms[f"{short}ErrorRateAlarm"]["Properties"]
        expression = next(m["Expression"] for m in rate["Metrics"] if "Expression" in m)
        assert "FILL(errors, 0)" in expression and "IF(invocations > 0" in expression
        assert rate["Threshold"] == 5
        duration = alarms[f"{short}DurationAlarm"]["Properties"]
        assert (duration["MetricName"], duration["ExtendedStatistic"]) == ("Duration", "p99")
        assert duration["Threshold"] == 1000
    anomaly = alarms["UsersTableWriteAnomalyAlarm"]["Properties"]
    band = next(m for m in anomaly["Metrics"] if m["Id"] == anomaly["ThresholdMetricId"])
    assert band["Expression"].startswith("ANOMALY_DETECTION_BAND(")
    writes = next(m for m in anomaly["Metrics"] if "MetricStat" in m)
    assert writes["MetricStat"]["Metric"]["MetricName"] == "ConsumedWriteCapacityUnits"
    dlq = alarms["DeadLetterQueueAlarm"]["Properties"]
    assert (dlq["MetricName"], dlq["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_budget_alerts_at_80_actual_and_100_forecast(
    sam_template: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    assert sam_template["Parameters"]["MonthlyBudgetUsd"]["Default"] == 100
    props = resources["MonthlyBudget"]["Properties"]
    assert props["Budget"]["BudgetLimit"] == {"Amount": {"Ref": "MonthlyBudgetUsd"}, "Unit": "USD"}
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in props["NotificationsWithSubscribers"]
    }
    assert notifications == {("ACTUAL", 80), ("FORECASTED", 100)}
    topic_policy = resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    principals = {s["Principal"].get("Service") for s in topic_policy if s["Effect"] == "Allow"}
    assert {"budgets.amazonaws.com", "cloudwatch.amazonaws.com"} <= principals


def test_outputs(translated: dict[str, Any]) -> None:
    assert set(translated["Outputs"]) >= OUTPUTS


def test_every_taggable_resource_carries_cost_allocation_tags(
    resources: dict[str, dict[str, Any]],
) -> None:
    untagged_types = {
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Budgets::Budget",
        # CloudFormation has no Tags property for these five (Scheduler tags schedule groups,
        # not schedules).
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::IdentityPoolPrincipalTag",
        "AWS::Cognito::IdentityPoolRoleAttachment",
        "AWS::Scheduler::Schedule",
        "AWS::Lambda::EventInvokeConfig",
    }
    for logical_id, resource in resources.items():
        if resource["Type"] in untagged_types:
            continue
        props = resource["Properties"]
        tags = (
            props.get("Tags")
            or props.get("UserPoolTags")  # Cognito's own property names
            or props.get("IdentityPoolTags")
            or {t["name"] for t in props.get("Body", {}).get("tags", [])}
        )
        keys = tags if isinstance(tags, set) else tag_keys(tags)
        assert keys >= TAG_KEYS, logical_id


@pytest.mark.parametrize(("stage", "allowed"), [("staging", "true"), ("prod", "false")])
def test_the_ses_simulator_is_allowed_in_staging_only(
    sam_template: dict[str, Any], stage: str, allowed: str
) -> None:
    variables = sam_template["Resources"]["EnrichFunction"]["Properties"]["Environment"]
    resolver = Resolver(sam_template, {"Stage": stage})
    assert resolver.resolve(variables["Variables"]["SES_SIMULATOR_ALLOWED"]) == allowed
