"""Stuck users on the embedded stack: stream records expired or dead-lettered, a step killed,
the sweeper (the template's schedule, run by the local scheduler) or `onramp replay-dlq`
re-drives every user from the Users table: each ends completed or failed with a reason,
none stuck, none emailed twice.

AWS's text the scenarios stand on: DynamoDB Streams keeps records 24 hours ("Stream records
whose age exceeds this limit are subject to removal (trimming) from the stream",
TrimmedDataAccessException); a mapping discards records older than its
MaximumRecordAgeInSeconds and sends them to its OnFailure destination
(``condition: RecordAgeExceeded``); EventBridge Scheduler invokes the sweeper at
``rate(5 minutes)``; the in-flight index is sparse (docs/architecture.md).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from fault_scenarios import DRAIN_TIMEOUT_S, assert_guarantees, snapshot

from onramp.cli import main
from onramp.local.faults.plan import FaultPlan
from onramp.local.registrations import seed_users
from onramp.local.stack import EmbeddedStack

pytestmark = pytest.mark.integration

DAY_AND_AN_HOUR_S = 25 * 3600
THROTTLED_POOL = (
    "aws-error:function=provision,service=cognito-idp,operation=AdminCreateUser,"
    "code=TooManyRequestsException"
)
ENRICH_DOWN = (
    "aws-error:function=enrich,service=dynamodb,operation=UpdateItem,"
    "code=InternalServerError,status=500"
)


def started(faults: list[str], **kwargs) -> EmbeddedStack:
    return EmbeddedStack(faults=FaultPlan.parse(faults, seed=3), **kwargs)


def judged_stuck_users_alarm(sweep, run_dir):
    """StuckUsersAlarm judged on the sweep's EMF output, as `onramp demo` judges a run."""
    import pandas as pd

    from kernel.sam_template import DEFAULT_TEMPLATE
    from onramp.alarms import judge_alarms, read_metrics
    from onramp.demo import write_metrics_csv

    write_metrics_csv([sweep], run_dir / "metrics.csv")
    calls = pd.DataFrame(columns=["function", "start", "duration_ms", "billed_ms", "outcome"])
    checks = judge_alarms(DEFAULT_TEMPLATE, calls, read_metrics(run_dir), dead_letters=0)
    [check] = [c for c in checks if c.alarm == "StuckUsersAlarm"]
    return check


def test_expired_records_and_a_killed_step_end_settled_by_the_sweeper(capsys, tmp_path):
    """Provision crashes once and is throttled for good: every user is dead-lettered in
    processing; a day passes (the stream trims the records); the sweeper completes them."""
    faults = ["crash:function=provision,service=s3,operation=PutObject,times=1", THROTTLED_POOL]
    with started(faults, parameters={"StuckAfterSeconds": "1"}) as stack:
        statuses = seed_users(stack.api_url, 6, seed=3, mixed=False)
        assert stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S), stack.status()
        accepted = statuses[202]
        before = snapshot(stack, accepted)
        assert before.by_status() == {"processing": accepted}
        assert before.dead_letters and before.invocation_errors  # the crash: Runtime.ExitError
        assert stack.age_stream_records(DAY_AND_AN_HOUR_S) > 0  # kept ranges expire too

        stack.faults.clear()
        sweep = stack.scheduler.trigger("SweeperSchedule")
        assert sweep.outcome == "ok", sweep.value
        assert sweep.value["stuck"] == accepted and sweep.value["redriven"] == accepted
        stuck_alarm = judged_stuck_users_alarm(sweep, tmp_path)
        assert (stuck_alarm.value, stuck_alarm.samples) == (accepted, 1)  # the sweep's own EMF
        assert stuck_alarm.state == "ok"  # one period: it takes three in a row to fire
        assert stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S)
        after = snapshot(stack, accepted)
        assert after.by_status() == {"completed": accepted}
        assert_guarantees(after, allow_dead_letters=True)  # the messages are still queued

        capsys.readouterr()
        assert main(["replay-dlq", "--url", stack.api_url]) == 0  # nothing left in flight
        out = capsys.readouterr().out
        assert "TrimmedDataAccessException" in out and "nothing-to-replay" in out
        assert f"settled {len(before.dead_letters)} dead-letter message(s), kept 0" in out
        assert stack.scheduler.trigger("SweeperSchedule").value == {"stuck": 0}
        assert_guarantees(snapshot(stack, accepted))


def test_records_past_their_maximum_age_are_replayed_from_the_table(capsys):
    """Enrich keeps failing, the pending records age past MaximumRecordAgeInSeconds (3600):
    the mapping dead-letters them unprocessed; a day later the replay cannot read the range,
    re-drives the users from the table, and the stream takes them on to completed."""
    with started([ENRICH_DOWN]) as stack:
        statuses = seed_users(stack.api_url, 5, seed=4, mixed=False)
        stack.age_stream_records(3601)
        assert stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S), stack.status()
        accepted = statuses[202]
        before = snapshot(stack, accepted)
        assert before.by_status() == {"pending": accepted}
        conditions = Counter(d["requestContext"]["condition"] for d in before.dead_letters)
        assert conditions["RecordAgeExceeded"] >= 1, conditions
        stack.age_stream_records(DAY_AND_AN_HOUR_S)

        capsys.readouterr()
        assert main(["replay-dlq", "--url", stack.api_url]) == 1  # enrich is still failing
        out = capsys.readouterr().out
        assert "users not settled:" in out
        assert all(user["user_id"] in out for user in before.users)  # each one named

        stack.faults.clear()
        assert main(["replay-dlq", "--url", stack.api_url]) == 0
        out = capsys.readouterr().out
        assert "replayed-from-table" in out and "kept 0, in flight 0" in out
        assert stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S)
        after = snapshot(stack, accepted)
    assert after.by_status() == {"completed": accepted}
    assert_guarantees(after)


def test_sweeps_racing_stream_retries_send_one_email_each():
    """A sweep every 3 s (the template's rate, sped up) with a 1 s bound re-drives users the
    stream is still retrying (throttled pool users, a slow SES): the two deliveries run in
    different processes at once; the email claim keeps it to one email per user."""
    faults = [
        THROTTLED_POOL + ",times=6",
        "slow:function=provision,service=ses,operation=SendEmail,ms=700",
    ]
    parameters = {"StuckAfterSeconds": "1"}
    with started(faults, parameters=parameters, schedule_speedup=100) as stack:
        statuses = seed_users(stack.api_url, 8, seed=5, mixed=False)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < deadline:
            assert stack.wait_until_drained(timeout=DRAIN_TIMEOUT_S)
            if {u["status"] for u in stack.users()} <= {"completed", "failed"}:
                break
            time.sleep(1)
        time.sleep(3.5)  # one more sweep: nothing stuck
        after = snapshot(stack, statuses[202])
        sweeps = [i.value for i in stack.scheduler.invocations if i.outcome == "ok"]
    assert after.by_status() == {"completed": statuses[202]}
    assert_guarantees(after)
    assert sum(s.get("redriven", 0) + s.get("moved", 0) for s in sweeps) >= 1, sweeps
    assert sweeps[-1] == {"stuck": 0}
