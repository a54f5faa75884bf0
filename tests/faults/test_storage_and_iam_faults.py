"""S3 and IAM errors while provisioning a user's space."""

import pytest
from fault_scenarios import assert_guarantees

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "fault",
    [
        # 5 > the SDK's 3 attempts: one record fails, the stream retries it.
        "aws-error:service=s3,operation=PutObject,code=InternalError,times=5",
        "aws-error:service=s3,operation=PutObject,code=SlowDown,rate=0.3",
        "aws-error:service=iam,operation=CreatePolicy,code=LimitExceeded,times=3",
        "aws-error:service=iam,operation=CreatePolicy,code=ServiceFailure,skip=2,times=4",
    ],
)
def test_transient_storage_and_iam_errors_are_retried_to_completion(scenario, fault):
    outcome = scenario([fault], registrations=10)
    assert_guarantees(outcome)
    assert outcome.by_status() == {"completed": outcome.accepted}
    stats = outcome.fault_stats[next(iter(outcome.fault_stats))]
    assert stats["injected"] > 0, stats
