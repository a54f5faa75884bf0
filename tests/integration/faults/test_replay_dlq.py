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


def test_messages_another_replay_holds_are_reported_and_fail_the_run(capsys):
    """An interrupted or concurrent replay holds messages invisible for 900 s: the next run
    used to print `settled 0 ... kept 0` and exit 0. It now counts them
    (ApproximateNumberOfMessagesNotVisible), says so and exits 1 until they are back. A
    dead letter of a missed sweep (its own input) needs no replay: the next sweep does it."""
    from fault_scenarios import aws_client

    from onramp.local.stack import EmbeddedStack

    with EmbeddedStack() as stack:
        sqs = aws_client(stack, "sqs")
        [queue] = stack.resources.queue_urls.values()
        for n in range(3):
            sqs.send_message(QueueUrl=queue, MessageBody=f'{{"scheduled_time": "t{n}"}}')
        held = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=2, VisibilityTimeout=900)
        assert len(held["Messages"]) == 2  # the other replay, still running (or killed)

        assert main(["replay-dlq", "--url", stack.api_url]) == 1
        out = capsys.readouterr().out
        assert "missed-sweep" in out
        assert "settled 1 dead-letter message(s), kept 0, in flight 2" in out
        assert "2 message(s) not replayed" in out

        for message in held["Messages"]:  # the other replay ends and releases them
            sqs.change_message_visibility(
                QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        assert main(["replay-dlq", "--url", stack.api_url]) == 0
        assert "settled 2 dead-letter message(s), kept 0, in flight 0" in capsys.readouterr().out
        assert stack.dead_letters() == []


def test_an_interrupted_replay_releases_what_it_held(monkeypatch, capsys):
    from fault_scenarios import aws_client

    import onramp.replay_dlq
    from onramp.local.stack import EmbeddedStack

    with EmbeddedStack() as stack:
        sqs = aws_client(stack, "sqs")
        [queue] = stack.resources.queue_urls.values()
        for n in range(2):
            sqs.send_message(QueueUrl=queue, MessageBody=f'{{"scheduled_time": "t{n}"}}')

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(onramp.replay_dlq, "replay_message", interrupted)
        assert main(["replay-dlq", "--url", stack.api_url]) != 0  # Ctrl-C on the first one
        assert "interrupted" in capsys.readouterr().err
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        monkeypatch.undo()
        assert main(["replay-dlq", "--url", stack.api_url]) == 0
        assert "settled 2 dead-letter message(s), kept 0, in flight 0" in capsys.readouterr().out
