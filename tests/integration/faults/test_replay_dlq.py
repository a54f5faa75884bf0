"""`onramp replay-dlq` end to end: a fault that outlasts MaximumRetryAttempts dead-letters
batches; with the fault cleared, the replay completes every user, empties the queue and
sends no second email."""

import pytest
from fault_scenarios import assert_guarantees, faulty_stack, snapshot

from onramp.cli import main

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("fault", "stuck_status"),
    [
        (
            "aws-error:service=cognito-idp,operation=AdminCreateUser,code=TooManyRequestsException",
            "processing",
        ),
        (
            "aws-error:function=enrich,service=dynamodb,operation=UpdateItem,"
            "code=InternalServerError,status=500",
            "pending",
        ),
    ],
    ids=["provision-stage", "enrich-stage"],
)
def test_replay_puts_dead_lettered_users_back_through_the_pipeline(fault, stuck_status, capsys):
    with faulty_stack([fault], registrations=6) as (stack, accepted):
        url = stack.api_url
        before = snapshot(stack, accepted)
        assert before.dead_letters, "the fault should outlast the retries"
        assert before.by_status() == {stuck_status: accepted}
        assert_guarantees(before, allow_dead_letters=True)

        assert main(["replay-dlq", "--url", url, "--dry-run"]) == 0
        assert "would-replay" in capsys.readouterr().out
        assert len(stack.dead_letters()) == len(before.dead_letters)  # a dry run keeps them

        assert main(["replay-dlq", "--url", url]) == 1  # the fault is still on
        assert len(stack.dead_letters()) == len(before.dead_letters)
        capsys.readouterr()

        stack.faults.clear()
        assert main(["replay-dlq", "--url", url]) == 0
        out = capsys.readouterr().out
        assert f"settled {len(before.dead_letters)} dead-letter message(s), kept 0" in out
        assert stack.wait_until_drained(timeout=60)
        after = snapshot(stack, accepted)
    assert after.dead_letters == []
    assert after.by_status() == {"completed": accepted}
    assert_guarantees(after)

    assert main(["replay-dlq", "--url", url]) == 2  # the runtime is gone: one line
    assert "no onramp runtime answers there" in capsys.readouterr().err
