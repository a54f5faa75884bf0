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
