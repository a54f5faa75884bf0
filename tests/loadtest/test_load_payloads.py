"""The payload generator: shares, and that each kind is really what it claims to be."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email

from kernel.errors import UsageError
from loadtest.payloads import (
    BAD_KINDS,
    DEFAULT_MIX_TEXT,
    EXPECTED_STATUSES,
    REQUIRED_FIELDS,
    SIMULATOR_DOMAIN,
    SIMULATOR_SHARES,
    VALID,
    Payload,
    PayloadFactory,
    parse_mix,
)

API_BODY_LIMIT = 8 * 1024


def _is_valid_email(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _generate(factory: PayloadFactory, count: int) -> list[Payload]:
    payloads = []
    for _ in range(count):
        payload = factory.next()
        if payload.kind == VALID:
            factory.remember_accepted(payload)
        payloads.append(payload)
    return payloads


def test_shares_follow_the_mix() -> None:
    mix = {"invalid_email": 0.1, "disallowed_domain": 0.05, "missing_field": 0.1,
           "duplicate": 0.05, "oversized": 0.02}  # fmt: skip
    count = 4000
    kinds = Counter(p.kind for p in _generate(PayloadFactory(mix, seed=7), count))
    expected = {**mix, VALID: 1 - sum(mix.values())}
    for kind, share in expected.items():
        sigma = math.sqrt(count * share * (1 - share))
        assert abs(kinds[kind] - count * share) < 4 * sigma + 2, (kind, kinds)


def test_empty_mix_sends_only_valid_payloads() -> None:
    assert {p.kind for p in _generate(PayloadFactory({}, seed=1), 200)} == {VALID}


def test_valid_payloads_are_valid_and_unique() -> None:
    payloads = _generate(PayloadFactory({}, seed=3), 300)
    emails = set()
    for payload in payloads:
        fields = json.loads(payload.body)
        assert set(fields) == set(REQUIRED_FIELDS)
        assert _is_valid_email(fields["email"]), fields["email"]
        assert fields["email"].split("@")[1] in ("example.com", "example.org", "example.net")
        assert phonenumbers.is_valid_number(phonenumbers.parse(fields["phone"])), fields["phone"]
        assert fields["name"].strip() and len(payload.body) < API_BODY_LIMIT
        emails.add(fields["email"])
    assert len(emails) == len(payloads)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_each_bad_kind_is_really_bad(kind: str) -> None:
    factory = PayloadFactory({kind: 1.0}, seed=11, disallowed_domain="blocked.example")
    original = None
    if kind == "duplicate":
        original = factory.next()
        assert original.kind == VALID, "a duplicate needs an accepted email first"
        factory.remember_accepted(original)
    for payload in [factory.next() for _ in range(60)]:
        fields = json.loads(payload.body)
        assert payload.kind == kind
        assert payload.request_name == f"POST /register [{kind}]"
        if kind == "invalid_email":
            assert not _is_valid_email(fields["email"]), fields["email"]
        elif kind == "disallowed_domain":
            assert fields["email"].endswith("@blocked.example")
            assert _is_valid_email(fields["email"])
        elif kind == "missing_field":
            assert len(set(REQUIRED_FIELDS) - set(fields)) == 1
        elif kind == "duplicate":
            assert original is not None and fields["email"] == original.email
        elif kind == "oversized":
            assert len(payload.body) >= 16 * 1024 > API_BODY_LIMIT
            assert _is_valid_email(fields["email"])


def test_expected_statuses_follow_the_api_contract() -> None:
    assert EXPECTED_STATUSES[VALID] == {202}
    assert EXPECTED_STATUSES["disallowed_domain"] == {202}  # rejected later, at enrichment
    assert EXPECTED_STATUSES["duplicate"] == {202}  # the registered address's answer is a new one's
    assert EXPECTED_STATUSES["oversized"] == {413}
    assert EXPECTED_STATUSES["invalid_email"] == EXPECTED_STATUSES["missing_field"] == {400, 422}


def test_only_accepted_valid_emails_are_duplicated() -> None:
    factory = PayloadFactory({"duplicate": 1.0}, seed=2)
    unconfirmed = factory.next()  # sent but never confirmed accepted
    assert unconfirmed.kind == VALID and factory.next().kind == VALID


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("typo=0.1", "'typo=0.1' is not kind=share"),
        ("duplicate", "'duplicate' is not kind=share"),
        ("duplicate=abc", "duplicate: 'abc' is not a share"),
        ("oversized=150%", "oversized: '150%' is not a share"),
        ("duplicate=0.6,oversized=60%", "add up to more than 1"),
    ],
)
def test_bad_mix_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=r"^ONRAMP_MIX: ") as caught:
        parse_mix(text)
    assert message in str(caught.value)


def test_mix_accepts_fractions_and_percentages() -> None:
    assert parse_mix(" duplicate = 2% , oversized=0.01 ,") == {"duplicate": 0.02, "oversized": 0.01}
    assert set(parse_mix(DEFAULT_MIX_TEXT)) == set(BAD_KINDS)


def test_factory_from_env() -> None:
    env = {
        "ONRAMP_MIX": "disallowed_domain=1",
        "ONRAMP_DISALLOWED_DOMAIN": "nope.example",
        "ONRAMP_SEED": "4",
    }
    payload = PayloadFactory.from_env(env).next()
    assert payload.kind == "disallowed_domain" and payload.email.endswith("@nope.example")
    domains = {"ONRAMP_MIX": "", "ONRAMP_EMAIL_DOMAINS": "corp.example, other.example"}
    emails = {PayloadFactory.from_env(domains).next().email.split("@")[1] for _ in range(30)}
    assert emails <= {"corp.example", "other.example"}
    with pytest.raises(UsageError, match="ONRAMP_OVERSIZED_BYTES"):
        PayloadFactory.from_env({"ONRAMP_OVERSIZED_BYTES": "big"})


def test_library_modules_never_import_locust() -> None:
    code = (
        "import sys, loadtest.payloads, loadtest.runner, onramp.cli.load, loadtest.thresholds;"
        "assert 'locust' not in sys.modules and 'gevent' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_payloads_agree_with_the_real_register_validator() -> None:
    """The Lambda's own request parsing accepts every valid kind and rejects the bad ones."""
    from onboarding.domain.model import RequestRejected, parse_registration
    from onboarding.domain.validation import clean_name, normalise_phone
    from onboarding.handlers.register import MAX_BODY_BYTES

    mix = {"invalid_email": 0.2, "missing_field": 0.2, "disallowed_domain": 0.2}
    for payload in _generate(PayloadFactory(mix, seed=9), 600):
        if payload.kind in ("valid", "disallowed_domain"):
            request, _ = parse_registration(payload.body)
            clean_name(request.name)
            normalise_phone(request.phone)
        else:
            with pytest.raises(RequestRejected) as caught:
                parse_registration(payload.body)
            assert caught.value.status in payload.expected_statuses
    oversized = PayloadFactory({"oversized": 1.0}, seed=1).next()
    assert len(oversized.body) > MAX_BODY_BYTES


def test_simulator_recipients_are_ses_mailbox_simulator_addresses_in_set_shares() -> None:
    """``success+<label>``, ``bounce+<label>``, ``complaint+<label>`` @simulator.amazonses.com:
    SES's mailbox simulator (labels keep every address unique for the duplicate guard)."""
    from onboarding.domain.enrichment import normalise_user

    factory = PayloadFactory({}, seed=3, recipients="simulator")
    emails = [json.loads(factory.next().body)["email"] for _ in range(4000)]
    assert len(set(emails)) == len(emails)
    assert all(email.endswith(f"@{SIMULATOR_DOMAIN}") for email in emails)
    outcomes = Counter(email.partition("+")[0] for email in emails)
    assert set(outcomes) == {"success", "bounce", "complaint"}
    for outcome, share in SIMULATOR_SHARES.items():
        assert math.isclose(outcomes[outcome] / len(emails), share, abs_tol=0.01)
    person = json.loads(factory.next().body)
    checked = normalise_user(person["email"], person["name"], person["phone"], None, True)
    assert getattr(checked, "email_domain", None) == SIMULATOR_DOMAIN


def test_unknown_recipients_are_refused() -> None:
    with pytest.raises(UsageError, match="ONRAMP_RECIPIENTS"):
        PayloadFactory.from_env({"ONRAMP_RECIPIENTS": "everyone"})
