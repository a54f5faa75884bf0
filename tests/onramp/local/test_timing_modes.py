"""The two stream timings: aws (Lambda's base rate, 4 polls a second) and fast (writes wake)."""

import pytest

from onramp.local.streams.timing import ENVIRONMENT_VARIABLE, StreamTiming


def test_aws_polls_at_lambdas_base_rate_and_ignores_writes() -> None:
    # "Lambda polls shards in your DynamoDB stream for records at a base rate of 4 times per
    # second" (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, "Polling and
    # batching streams").
    aws = StreamTiming.named("aws")
    assert 1 / aws.poll_interval_s == 4
    assert not aws.wake_on_write


def test_fast_is_woken_by_writes_and_still_polls_for_the_rest() -> None:
    fast = StreamTiming.named("fast")
    assert fast.wake_on_write
    assert fast.poll_interval_s == StreamTiming.named("aws").poll_interval_s


def test_the_environment_sets_the_default_and_aws_is_the_default() -> None:
    assert StreamTiming.from_environment({}).name == "aws"
    assert StreamTiming.from_environment({ENVIRONMENT_VARIABLE: ""}).name == "aws"
    assert StreamTiming.from_environment({ENVIRONMENT_VARIABLE: "fast"}).name == "fast"
    with pytest.raises(ValueError, match=f"{ENVIRONMENT_VARIABLE}: unknown stream timing 'quick'"):
        StreamTiming.from_environment({ENVIRONMENT_VARIABLE: "quick"})


def test_an_unknown_name_names_the_choices() -> None:
    with pytest.raises(ValueError, match="choose from aws, fast"):
        StreamTiming.named("instant")
