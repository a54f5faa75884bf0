"""Stream delivery faults: a whole batch delivered twice, in turn or at the same moment."""

import pytest
from fault_scenarios import assert_guarantees

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("function", ["enrich", "provision"])
def test_duplicate_batch_delivery_changes_nothing(scenario, function):
    outcome = scenario([f"duplicate-batch:function={function}"])
    assert_guarantees(outcome)
    assert outcome.by_status() == {"completed": outcome.accepted}
    stats = next(iter(outcome.fault_stats.values()))
    assert stats["injected"] == stats["matched"] > 0


def test_conditional_check_race_between_two_deliveries_of_the_same_record(scenario):
    outcome = scenario(["race:function=provision"])
    assert_guarantees(outcome)
    assert outcome.by_status() == {"completed": outcome.accepted}
    stats = next(iter(outcome.fault_stats.values()))
    assert stats["injected"] > 0
    # each user's second delivery lost at least its conditional email claim
    assert stats["conditional_check_failed"] >= outcome.accepted


THROTTLES = 12
"""Enough SES Throttling answers that some claim winner gets all four SDK attempts refused
(two deliveries race, so at most two users' sends are in progress at a time)."""


def test_race_where_the_claim_winner_is_throttled_completes_each_user_with_one_email(scenario):
    """The once-open gap (docs/faults.md): the delivery that lost the email claim used to
    complete the user while the winner's send then failed, leaving it completed without an
    email. Now it waits for the winner's message id, or claims and sends once the winner
    released the claim after its throttled send."""
    throttling = f"aws-error:service=ses,operation=SendEmail,code=Throttling,times={THROTTLES}"
    outcome = scenario(["race:function=provision", throttling])
    assert_guarantees(outcome)  # among them: every completed user got exactly one email
    assert outcome.by_status() == {"completed": outcome.accepted}
    assert outcome.fault_stats[throttling]["injected"] == THROTTLES
    assert outcome.fault_stats["race:function=provision"]["conditional_check_failed"] > 0
