"""The embedded AWS plays an SES sandbox account as AWS documents it: only verified recipients
or the mailbox simulator, at most 1 message a second and 200 in 24 hours ("Request production
access (Moving out of the Amazon SES sandbox)", SES developer guide); the simulator's mail does
not count against the 24-hour quota but is bound by the send rate ("Using the mailbox
simulator"). Refusals are SES's own errors: MessageRejected "Email address is not verified",
Throttling "Maximum sending rate exceeded." / "Daily message quota exceeded."."""

from __future__ import annotations

import json
import time

import pytest
from moto import mock_aws
from moto.ses.models import ses_backends

from onramp.demo import LOCAL_PARAMETERS
from onramp.local.aws.server import ACCOUNT_ID, REGION
from onramp.local.aws.ses_account import AccountProfile, SesAccount
from onramp.local.registrations import post_registration
from onramp.local.stack import EmbeddedStack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_sandbox_recipients_must_be_verified_or_simulated(clock: Clock) -> None:
    with mock_aws():
        ses_backends[ACCOUNT_ID][REGION].verify_domain("verified.example")
        account = SesAccount(AccountProfile.sandbox(), clock)
        code, message = account.admit(["ada@example.com"]) or ("", "")
        assert code == "MessageRejected"
        assert message.startswith("Email address is not verified.")
        assert account.admit(["ada@verified.example"]) is None
        clock.now += 1.01
        assert account.admit(["success+1@simulator.amazonses.com"]) is None
        assert account.refusals() == {"recipient not verified (sandbox)": 1}


def test_sandbox_allows_one_message_a_second(clock: Clock) -> None:
    account = SesAccount(AccountProfile.sandbox(), clock)
    simulator = ["success+a@simulator.amazonses.com"]
    assert account.admit(simulator) is None
    assert account.admit(simulator) == ("Throttling", "Maximum sending rate exceeded.")
    clock.now += 0.5
    assert account.admit(simulator) is not None
    clock.now += 0.51
    assert account.admit(simulator) is None
    assert account.refusals() == {"ses max send rate (1/s)": 2}


def test_the_daily_quota_counts_real_recipients_not_the_simulator(clock: Clock) -> None:
    account = SesAccount(AccountProfile.production(max_send_rate=1000, max_24_hour_send=2), clock)
    assert account.admit(["a@example.com"]) is None
    assert account.admit(["b@example.com"]) is None
    assert account.admit(["c@example.com"]) == ("Throttling", "Daily message quota exceeded.")
    assert account.admit(["success+x@simulator.amazonses.com"]) is None  # not counted
    clock.now += 86_400.5
    assert account.admit(["c@example.com"]) is None  # the 24-hour window rolled


def test_none_leaves_moto_alone() -> None:
    def app(environ: object, start_response: object) -> list[bytes]:
        return [b""]

    assert SesAccount(AccountProfile()).wrap(app) is app


def register(api_url: str, email: str) -> int:
    body = {"email": email, "name": "Ada Lovelace", "phone": "+442079460958"}
    return post_registration(api_url, json.dumps(body).encode())


@pytest.mark.integration
def test_a_sandbox_rejects_unverified_recipients_and_users_fail_with_the_reason() -> None:
    with EmbeddedStack(parameters=LOCAL_PARAMETERS, account=AccountProfile.sandbox()) as stack:
        for n in range(5):
            assert register(stack.api_url, f"user{n}@example.com") == 202
        assert stack.wait_until_drained(timeout=60)
        users = stack.users()
        assert {u["status"] for u in users} == {"failed"}
        assert {u["failure_reason"] for u in users} == {"provisioning_rejected"}
        assert {u["welcome_email"]["error"] for u in users} == {"MessageRejected"}
        assert stack.sent_emails() == [] and stack.dead_letters() == []
        assert stack.ses_refusals() == {"recipient not verified (sandbox)": 5}


@pytest.mark.integration
def test_a_sandbox_sends_the_simulators_mail_at_one_a_second() -> None:
    """A burst of sign-ups drains at SES's pace: throttled sends are retried (botocore, then
    the stream's retries) and every user completes, no faster than 1 email a second."""
    parameters = {**LOCAL_PARAMETERS, "Stage": "staging"}  # the simulator is staging's
    with EmbeddedStack(parameters=parameters, account=AccountProfile.sandbox()) as stack:
        started = time.monotonic()
        for n in range(8):
            assert register(stack.api_url, f"success+{n}@simulator.amazonses.com") == 202
        assert stack.wait_until_drained(timeout=120)
        elapsed = time.monotonic() - started
        assert {u["status"] for u in stack.users()} == {"completed"}
        assert len(stack.sent_emails()) == 8
        assert elapsed >= 7  # 8 emails at most 1 a second
        assert stack.ses_refusals()["ses max send rate (1/s)"] > 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--account", "production"], "--account production: give --ses-rate and --ses-quota"),
        (["--account", "sandbox", "--ses-rate", "5"], "--ses-rate/--ses-quota: only with"),
    ],
)
def test_account_flags_are_checked_before_anything_starts(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from onramp.cli import main

    assert main(["demo", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
