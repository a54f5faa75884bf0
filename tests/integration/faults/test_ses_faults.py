"""SES faults at the AWS boundary of the provision function."""

import pytest
from fault_scenarios import assert_guarantees

pytestmark = pytest.mark.integration


def test_throttling_is_retried_and_every_user_completes(scenario):
    outcome = scenario(["aws-error:service=ses,operation=SendEmail,code=Throttling,times=4"])
    assert_guarantees(outcome)
    assert outcome.by_status() == {"completed": outcome.accepted}
    stats = next(iter(outcome.fault_stats.values()))
    assert stats["injected"] == 4
    assert stats["matched"] == outcome.accepted + 4  # every throttled attempt came again


def test_rejected_email_fails_the_user_with_provisioning_rejected(scenario):
    outcome = scenario(["aws-error:service=ses,operation=SendEmail,code=MessageRejected,times=3"])
    assert_guarantees(outcome)
    failed = [u for u in outcome.users if u["status"] == "failed"]
    assert len(failed) == 3
    for user in failed:
        assert user["failure_reason"] == "provisioning_rejected"
        assert user["welcome_email"]["error"] == "MessageRejected"
        assert outcome.emails[user["email"]] == 0
    assert outcome.by_status()["completed"] == outcome.accepted - 3
