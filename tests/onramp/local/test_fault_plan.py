"""The fault plan's rules without a stack: parsing, selection, counters, wire error shapes."""

import botocore.session
import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from onramp.cli import main
from onramp.local.faults.hooks import error_response
from onramp.local.faults.plan import FaultPlan, FaultPlanError, parse_fault


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode", "unknown kind 'explode'"),
        ("aws-error:service=ses", "needs service= and operation="),
        ("aws-error:service=nope,operation=X,code=Y", "service='nope' is unknown"),
        ("aws-error:service=ses,operation=Send,code=Throttling", "not a ses operation"),
        ("aws-error:service=ses,operation=SendEmail", "aws-error needs code="),
        ("aws-error:service=ses,operation=SendEmail,code=Odd", "needs status="),
        ("aws-error:service=ses,operation=SendEmail,code=Odd,status=200", "not a 4xx/5xx"),
        ("crash:service=s3,operation=PutObject,code=X", "crash takes no code/status"),
        ("lookup-hang:service=s3", "lookup-hang takes no service"),
        ("race:rate=2", "rate='2' is not valid"),
        ("duplicate-batch:times=-1", "times='-1' is not valid"),
        ("race:colour=red", "bad key 'colour=red'"),
    ],
)
def test_bad_specs_name_the_problem(spec, message):
    with pytest.raises(FaultPlanError, match=message.replace("(", r"\(")):
        parse_fault(spec)


def test_selection_skip_times_and_seeded_rate():
    fault = parse_fault("aws-error:service=s3,operation=PutObject,code=SlowDown,skip=2,times=3")
    hits = [fault.hits(i, injected, seed=0) for i, injected in enumerate([0, 0, 0, 1, 2, 3, 3])]
    assert hits == [False, False, True, True, True, False, False]
    sometimes = parse_fault("duplicate-batch:rate=0.5")
    draws = [sometimes.hits(i, 0, seed=7) for i in range(200)]
    assert draws == [sometimes.hits(i, 0, seed=7) for i in range(200)]  # deterministic
    assert 60 < sum(draws) < 140
    assert draws != [sometimes.hits(i, 0, seed=8) for i in range(200)]


def test_counters_are_shared_and_clear_stops_hits():
    plan = FaultPlan.parse(["crash:service=ses,operation=SendEmail,skip=1"])
    (fault,) = plan.faults
    try:
        worker_view = FaultPlan.load(plan.environment("provision", {})["ONRAMP_FAULT_PLAN"])
        assert [plan.decide(fault), worker_view.decide(fault), plan.decide(fault)] == [
            False,
            True,
            False,
        ]
        assert plan.stats()[fault.label]["text"] == "1 of 3"
        plan.clear()
        assert worker_view.cleared and not worker_view.decide(fault)
    finally:
        plan.close()


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("ses", "Throttling"),
        ("ses", "MessageRejected"),
        ("s3", "SlowDown"),
        ("iam", "LimitExceeded"),
        ("cognito-idp", "TooManyRequestsException"),
        ("dynamodb", "ConditionalCheckFailedException"),
        ("lambda", "TooManyRequestsException"),
    ],
)
def test_error_responses_parse_as_aws_errors(service, code):
    model = botocore.session.get_session().get_service_model(service)
    headers, body = error_response(model.protocol, code, 400, "injected")
    response = {"status_code": 400, "headers": HeadersDict(headers), "body": body}
    operation = model.operation_model(model.operation_names[0])
    parsed = create_parser(model.protocol).parse(response, operation.output_shape)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "injected"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--fault", "explode"], "--fault: fault 'explode': unknown kind"),
        (["replay-dlq", "--region", "eu-west-1"], "--region/--profile: only with --queue-url"),
        (["replay-dlq", "--url", "http://127.0.0.1:9"], "no onramp runtime answers there"),
        (["token", "--key", "/nonexistent/key.pem"], "--key /nonexistent/key.pem: cannot read"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
