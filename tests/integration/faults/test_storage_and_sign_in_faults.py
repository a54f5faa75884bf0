"""S3 and Cognito errors while provisioning a user's space and sign-in."""

import pytest
from fault_scenarios import assert_guarantees

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "fault",
    [
        # 5 > the SDK's 3 attempts: one record fails, the stream retries it.
        "aws-error:service=s3,operation=PutObject,code=InternalError,times=5",
        "aws-error:service=s3,operation=PutObject,code=SlowDown,rate=0.3",
        "aws-error:service=cognito-idp,operation=AdminCreateUser,code=TooManyRequestsException,"
        "times=4",
        "aws-error:service=cognito-idp,operation=AdminCreateUser,code=InternalErrorException,"
        "skip=2,times=4",
    ],
)
def test_transient_storage_and_sign_in_errors_are_retried_to_completion(scenario, fault):
    outcome = scenario([fault], registrations=10)
    assert_guarantees(outcome)
    assert outcome.by_status() == {"completed": outcome.accepted}
    stats = outcome.fault_stats[next(iter(outcome.fault_stats))]
    assert stats["injected"] > 0, stats


def test_a_permanent_sign_in_refusal_fails_the_user_with_provisioning_rejected(scenario):
    fault = "aws-error:service=cognito-idp,operation=AdminCreateUser,code=InvalidParameterException"
    outcome = scenario([f"{fault},times=2"], registrations=8)
    assert_guarantees(outcome)
    failed = [u for u in outcome.users if u["status"] == "failed"]
    assert len(failed) == 2
    for user in failed:
        assert user["failure_reason"] == "provisioning_rejected"
        assert user["sign_in"] == {"error": "InvalidParameterException"}
        assert outcome.emails[user["email"]] == 0
        assert outcome.pool_users[user["user_id"]] == 0
    assert outcome.by_status()["completed"] == outcome.accepted - 2
