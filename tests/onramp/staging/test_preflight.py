"""`onramp preflight`: the account's real limits against a planned test, before any traffic.

AWS's values the account answers with here (moto plays a new, sandboxed account): SES
sandbox, 200 emails a 24-hour period and 1 a second ("Request production access (Moving out
of the Amazon SES sandbox)", SES developer guide); mail to the mailbox simulator is not
counted against the sending quota but still bound by the send rate (SES guide, "Using the
mailbox simulator"); Cognito's UserCreation category 50 requests a second and 40,000,000
users per user pool ("Quotas in Amazon Cognito"; docs/deploy.md's quota table).
"""

from __future__ import annotations

import math

import pytest

from kernel.errors import UsageError
from onramp.cli import main
from onramp.cli import preflight as cli_preflight
from onramp.cli.preflight import planned_load
from onramp.staging import preflight as preflight_module
from onramp.staging.account_limits import read_account_limits
from onramp.staging.preflight import PlannedLoad, preflight, report_text
from onramp.staging.session import AwsSession

from .account_stubs import STACK, account, deploy_stack

EMAILS = 0.84  # the default mix: 16 % of requests are deliberately bad and send no email


def use_account(monkeypatch: pytest.MonkeyPatch, client: object) -> None:
    """The CLI reads this account (its session's clients stay moto's for the rest)."""
    monkeypatch.setattr(
        cli_preflight, "read_account_limits", lambda _, stack: read_account_limits(client, stack)
    )


def verdicts(plan: PlannedLoad, client: object) -> dict[str, bool | None]:
    report = preflight(plan, read_account_limits(client, STACK))
    return {check.name: check.ok for check in report.checks}


def test_the_account_is_read_from_its_own_apis(mocked_aws: AwsSession) -> None:
    deploy_stack(mocked_aws, AlarmEmail="ops@example.com")
    limits = read_account_limits(account(mocked_aws), STACK)
    assert (limits.ses.max_send_rate, limits.ses.max_24_hour_send) == (1.0, 200.0)
    assert limits.ses.production is False
    assert (limits.cognito_user_creation_rps, limits.pool_users) == (50.0, 0)
    assert limits.lambda_unreserved_concurrency == 990
    assert limits.parameter("RegisterRateLimit") == "50"
    assert limits.parameter("AlarmEmail") == "ops@example.com"
    assert limits.cost_tags == {"onramp:stack": "Active", "onramp:stage": "Active"}


def test_a_20_per_second_simulator_test_breaks_a_sandbox_accounts_send_rate(
    mocked_aws: AwsSession,
) -> None:
    deploy_stack(mocked_aws, AlarmEmail="ops@example.com", BudgetEmail="fin@example.com")
    plan = PlannedLoad(rate=20, duration_s=300, email_share=EMAILS, recipients="simulator")
    report = preflight(plan, read_account_limits(account(mocked_aws), STACK))
    assert not report.fits
    # 16.8 AdminCreateUser a second fit Cognito's 50; 5,040 pool users fit its 40M a pool.
    assert [c.name for c in report.failed] == ["ses-send-rate"]
    assert {c.name for c in report.checks} >= {"cognito-user-creation", "cognito-pool-users"}
    assert "iam-policies" not in {c.name for c in report.checks}  # no IAM object per user
    assert report.first_to_break is not None and report.first_to_break.name == "ses-send-rate"
    text = report_text(plan, report)
    assert "first to break: ses-send-rate from the first request" in text
    assert "dead-letter queue" in text


def test_real_recipients_in_the_sandbox_are_rejected_and_use_the_daily_quota(
    mocked_aws: AwsSession,
) -> None:
    deploy_stack(mocked_aws, AlarmEmail="ops@example.com", BudgetEmail="fin@example.com")
    plan = PlannedLoad(rate=0.5, duration_s=1200, email_share=EMAILS, recipients="domains")
    got = verdicts(plan, account(mocked_aws))
    assert got["ses-recipients"] is False  # MessageRejected: not a verified recipient
    assert got["ses-send-rate"] is True  # 0.42 emails/s
    assert got["ses-24h-quota"] is False  # 504 emails > 200


def test_the_daily_quota_breaks_after_the_allowance_is_spent(mocked_aws: AwsSession) -> None:
    deploy_stack(mocked_aws, AlarmEmail="ops@example.com", BudgetEmail="fin@example.com")
    plan = PlannedLoad(rate=1.0, duration_s=600, email_share=0.5, recipients="domains")
    report = preflight(plan, read_account_limits(account(mocked_aws, production=True), STACK))
    assert [c.name for c in report.failed] == ["ses-24h-quota"]
    first = report.first_to_break
    assert first is not None and math.isclose(first.breaks_after_s or 0, 400)  # 200 / 0.5 a second


def test_a_small_simulator_test_fits_a_sandbox_account(mocked_aws: AwsSession) -> None:
    deploy_stack(mocked_aws, AlarmEmail="ops@example.com", BudgetEmail="fin@example.com")
    plan = PlannedLoad(rate=1.0, duration_s=1200, email_share=EMAILS, recipients="simulator")
    report = preflight(plan, read_account_limits(account(mocked_aws), STACK))
    assert report.fits and report.failed == []  # 1,008 simulator emails: not counted
    assert "fits: 1/s for 1200 s" in report_text(plan, report)


def test_cognitos_user_creation_rate_and_pool_size_bound_provisioning(
    mocked_aws: AwsSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy_stack(mocked_aws, pool_users=3, AlarmEmail="ops@example.com")
    monkeypatch.setattr(preflight_module, "USERS_PER_POOL", 1_003)  # 1,000 places left
    limits = read_account_limits(account(mocked_aws, production=True), STACK)
    assert limits.pool_users == 3  # DescribeUserPool's EstimatedNumberOfUsers

    within = PlannedLoad(rate=40, duration_s=20, email_share=1.0, recipients="simulator")
    assert verdicts(within, account(mocked_aws, production=True))["cognito-user-creation"]

    plan = PlannedLoad(rate=60, duration_s=60, email_share=1.0, recipients="simulator")
    failed = {c.name: c for c in preflight(plan, limits).failed}
    creation = failed["cognito-user-creation"]
    assert (creation.limit, creation.needed) == (
        "50 UserCreation requests/s (account, region)",
        "60.00 AdminCreateUser/s at peak",
    )
    pool = failed["cognito-pool-users"]
    assert math.isclose(pool.breaks_after_s or 0, 1_000 / 60)  # 3,600 users, 1,000 places
    assert pool.limit == "1,003 users per pool, about 3 in it"


def test_route_throttling_and_lambda_concurrency_are_judged(mocked_aws: AwsSession) -> None:
    deploy_stack(mocked_aws, RegisterRateLimit="10")
    plan = PlannedLoad(rate=20, duration_s=60, email_share=0.0, recipients="simulator")
    got = verdicts(plan, account(mocked_aws, production=True, unreserved=10))
    assert got["api-route-throttle"] is False  # 429 above 10/s
    assert got["lambda-concurrency"] is False  # about 22 needed, 10 unreserved


def test_missing_alert_emails_and_inactive_tags_fail_loudly_but_do_not_block(
    mocked_aws: AwsSession,
) -> None:
    deploy_stack(mocked_aws)
    tags = {"onramp:stack": "Inactive"}
    plan = PlannedLoad(rate=0.1, duration_s=60, email_share=EMAILS, recipients="simulator")
    report = preflight(plan, read_account_limits(account(mocked_aws, tags=tags), STACK))
    failed = {c.name: c.needed for c in report.failed}
    assert failed == {
        "alarmemail-set": "an address someone reads",
        "budgetemail-set": "an address someone reads",
        "cost-tag onramp:stack": "Inactive",
        "cost-tag onramp:stage": "absent",  # no resource has reported usage with it yet
    }
    assert report.fits  # configuration, not capacity


def test_the_shape_and_mix_set_the_plans_totals() -> None:
    steady = planned_load(20, 100, "steady", "", "simulator")
    assert (steady.registrations, steady.email_share) == (2000, 1.0)
    spike = planned_load(20, 100, "spike", "duplicate=0.5", "domains")
    assert math.isclose(spike.registrations, 20 * 100 * (0.2 * 0.8 + 0.2))
    assert spike.email_share == 0.5
    with pytest.raises(UsageError, match="--mix"):
        planned_load(20, 100, "steady", "bogus=1", "domains")


def test_cli_prints_the_checks_and_warns_on_stderr(
    mocked_aws: AwsSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deploy_stack(mocked_aws, BudgetEmail="fin@example.com")
    use_account(monkeypatch, account(mocked_aws))
    code = main(["preflight", "--stack", STACK, "--rate", "0.5", "--duration", "1m",
                 "--recipients", "simulator"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert "ses-send-rate" in out and "fits: 0.5/s" in out
    assert err.strip() == (
        "onramp preflight: WARNING alarmemail-set: alarms go to an SNS topic with no "
        "subscriber: nobody hears of them"
    )


def test_load_refuses_a_test_that_cannot_fit_in_one_line(
    mocked_aws: AwsSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deploy_stack(mocked_aws, AlarmEmail="ops@example.com", BudgetEmail="fin@example.com")
    use_account(monkeypatch, account(mocked_aws))
    code = main(["load", "--host", "http://127.0.0.1:9", "--rate", "20", "--duration", "5m",
                 "--recipients", "simulator", "--measure-stack", STACK])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("onramp: error: preflight: the test does not fit stack onramp-staging:")
    assert "ses-send-rate (1 emails/s; needs 16.80 emails/s at peak) breaks first" in err


def test_a_missing_stack_is_one_line(
    mocked_aws: AwsSession, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preflight", "--stack", "nope", "--rate", "1"]) == 2
    assert capsys.readouterr().err == "onramp: error: stack nope not found in region us-east-1\n"
