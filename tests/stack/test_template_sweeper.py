"""The stuck-user sweeper in the template: the sparse in-flight index, the schedule that runs
the sweeper, its roles, and the stuck-users alarm, checked against AWS's documented rules
and against the names the Lambda code uses.

AWS's text behind each rule:
- Sparse index (DynamoDB developer guide, "Take advantage of sparse indexes",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html):
  an item appears in a global secondary index only if it has the index's key attributes.
- Scheduler retry policy (AWS::Scheduler::Schedule RetryPolicy): MaximumRetryAttempts 0-185,
  MaximumEventAgeInSeconds 60-86400.
- Scheduler dead-letter queue ("Configuring a schedule's dead-letter queue"): a standard SQS
  queue (no FIFO), and the schedule's execution role needs ``sqs:SendMessage`` on it.
- Scheduler context attributes ("Adding context attributes"): ``<aws.scheduler.scheduled-time>``,
  ``<aws.scheduler.execution-id>``, ``<aws.scheduler.attempt-number>`` in the target's Input.
"""

from __future__ import annotations

import json
from typing import Any

from onboarding.domain.metric_catalog import STUCK_USERS
from onboarding.domain.redrive import IN_FLIGHT_ATTRIBUTE, IN_FLIGHT_INDEX, IN_FLIGHT_SINCE

CONTEXT_ATTRIBUTES = ("scheduled-time", "execution-id", "attempt-number", "schedule-arn")


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


def test_the_in_flight_index_is_sparse_keys_only_and_named_as_the_code_names_it(sam_template):
    table = sam_template["Resources"]["UsersTable"]["Properties"]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == IN_FLIGHT_INDEX
    assert index["KeySchema"] == [
        {"AttributeName": IN_FLIGHT_ATTRIBUTE, "KeyType": "HASH"},
        {"AttributeName": IN_FLIGHT_SINCE, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    defined = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert defined == {"user_id": "S", IN_FLIGHT_ATTRIBUTE: "S", IN_FLIGHT_SINCE: "S"}
    assert "ProvisionedThroughput" not in index  # on-demand, as the table


def test_the_schedule_runs_the_sweeper_every_five_minutes_with_retries_and_a_dlq(sam_template):
    resources = sam_template["Resources"]
    schedule = resources["SweeperSchedule"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["SweeperFunction", "Arn"]}
    assert target["RoleArn"] == {"Fn::GetAtt": ["SweeperScheduleRole", "Arn"]}
    retry = target["RetryPolicy"]
    assert 0 <= retry["MaximumRetryAttempts"] <= 185
    assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86400
    assert retry["MaximumEventAgeInSeconds"] < 300  # a late sweep never overlaps the next
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    assert not resources["DeadLetterQueue"]["Properties"].get("FifoQueue")
    event = json.loads(target["Input"])
    for value in event.values():
        assert value.startswith("<aws.scheduler.") and value.endswith(">")
        assert value[len("<aws.scheduler.") : -1] in CONTEXT_ATTRIBUTES


def test_the_schedule_role_may_invoke_the_sweeper_and_send_dead_letters_only(sam_template):
    role = sam_template["Resources"]["SweeperScheduleRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    granted = {
        s["Action"]: s["Resource"]
        for s in _statements(sam_template["Resources"]["SweeperScheduleRole"])
    }
    assert granted == {
        "lambda:InvokeFunction": {"Fn::GetAtt": ["SweeperFunction", "Arn"]},
        "sqs:SendMessage": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }


def test_the_sweeper_may_query_only_the_index_and_reads_no_stream(sam_template):
    statements = _statements(sam_template["Resources"]["SweeperFunctionRole"])
    actions = _actions(statements)
    assert not any(a.startswith("dynamodb:") and "Stream" in a for a in actions)
    assert "dynamodb:GetRecords" not in actions and "dynamodb:Scan" not in actions
    [query] = [s for s in statements if s["Action"] == "dynamodb:Query"]
    assert query["Resource"] == {"Fn::Sub": "${UsersTable.Arn}/index/" + IN_FLIGHT_INDEX}
    provision = _statements(sam_template["Resources"]["ProvisionFunctionRole"])
    steps = {"dynamodb:UpdateItem", "s3:PutObject", "cognito-idp:AdminCreateUser", "ses:SendEmail"}
    assert steps <= _actions(provision) and steps <= actions  # the same steps as the stream


def test_the_sweeper_function_is_configured_for_an_asynchronous_schedule(sam_template):
    props = sam_template["Resources"]["SweeperFunction"]["Properties"]
    assert props["Handler"] == "onboarding.handlers.sweeper.handler"
    assert props["EventInvokeConfig"] == {"MaximumRetryAttempts": 0}
    assert props["DeadLetterQueue"]["TargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    variables = props["Environment"]["Variables"]
    assert variables["STUCK_AFTER_SECONDS"] == {"Ref": "StuckAfterSeconds"}
    assert int(variables["MAX_REDRIVES"]) >= 1
    assert props["Timeout"] < 300  # done before the next sweep is due


def test_the_stuck_users_alarm_fires_after_fifteen_minutes_above_zero(sam_template):
    props = sam_template["Resources"]["StuckUsersAlarm"]["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("Onramp", STUCK_USERS.name)
    assert props["Dimensions"] == [{"Name": "service", "Value": "onramp"}]
    assert props["Statistic"] == "Maximum"
    assert props["Period"] * props["EvaluationPeriods"] == 15 * 60
    assert props["DatapointsToAlarm"] == props["EvaluationPeriods"]
    assert (props["ComparisonOperator"], props["Threshold"]) == ("GreaterThanThreshold", 0)
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
