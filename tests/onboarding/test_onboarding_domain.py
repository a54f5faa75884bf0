"""The pure domain modules: status machine, identity, validation, enrichment, lookup."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from onboarding.adapters.lookup import FakeProvider, LookupResult, lookup_domain, provider_named
from onboarding.domain.email_claim import LEASE, ClaimState, claim_state, lease_end, new_claim
from onboarding.domain.enrichment import normalise_user
from onboarding.domain.identity import user_id_for
from onboarding.domain.model import RequestRejected, parse_registration
from onboarding.domain.status import (
    FailureReason,
    InvalidTransition,
    Status,
    audit_event_id,
    check_transition,
)
from onboarding.domain.validation import (
    InvalidField,
    clean_name,
    domain_allowed,
    normalise_email,
    normalise_phone,
    parse_allowed_domains,
    screen_registration,
)


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        (Status.PENDING, Status.PROCESSING, None),
        (Status.PENDING, Status.FAILED, FailureReason.INVALID_EMAIL),
        (Status.PROCESSING, Status.COMPLETED, None),
        (Status.PROCESSING, Status.FAILED, FailureReason.PROVISIONING_REJECTED),
    ],
)
def test_allowed_transitions(current, target, reason):
    check_transition(current, target, reason)


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        (Status.PENDING, Status.COMPLETED, None),
        (Status.COMPLETED, Status.FAILED, FailureReason.INVALID_NAME),
        (Status.FAILED, Status.PROCESSING, None),
        (Status.PROCESSING, Status.PENDING, None),
        (Status.PENDING, Status.FAILED, None),  # failed needs a reason
        (Status.PENDING, Status.PROCESSING, FailureReason.INVALID_NAME),  # only failed has one
    ],
)
def test_forbidden_transitions(current, target, reason):
    with pytest.raises(InvalidTransition):
        check_transition(current, target, reason)


def test_failure_reasons_are_the_documented_ones():
    assert {str(r) for r in FailureReason} == {
        "invalid_email",
        "invalid_phone",
        "invalid_name",
        "domain_not_allowed",
        "provisioning_rejected",
        "welcome_email_unconfirmed",
        "redrive_exhausted",
    }


AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_a_claim_carries_its_token_and_lease():
    assert new_claim("t1", AT) == {
        "token": "t1",
        "claimed_at": "2026-11-29T10:00:00.000+00:00",
        "until": "2026-11-29T10:00:15.000+00:00",
    }
    assert lease_end(new_claim("t1", AT)) == AT + LEASE
    assert lease_end({"token": "t1", "claimed_at": "2026-11-29T10:00:00.000+00:00"}) == AT + LEASE
    assert lease_end({"token": "t1"}) < AT


@pytest.mark.parametrize(
    ("item", "now", "state"),
    [
        (None, AT, ClaimState.SETTLED),
        ({"status": "completed", "welcome_email": new_claim("t1", AT)}, AT, ClaimState.SETTLED),
        ({"status": "failed"}, AT, ClaimState.SETTLED),
        ({"status": "processing"}, AT, ClaimState.FREE),
        ({"status": "processing", "welcome_email": new_claim("t1", AT)}, AT, ClaimState.HELD),
        (
            {"status": "processing", "welcome_email": new_claim("t1", AT)},
            AT + LEASE - timedelta(milliseconds=1),
            ClaimState.HELD,
        ),
        (
            {"status": "processing", "welcome_email": new_claim("t1", AT)},
            AT + LEASE,
            ClaimState.UNCONFIRMED,
        ),
        (
            {"status": "processing", "welcome_email": {**new_claim("t1", AT), "message_id": "m"}},
            AT,
            ClaimState.SENT,
        ),
        (
            {"status": "processing", "welcome_email": {**new_claim("t1", AT), "message_id": "m"}},
            AT + 10 * LEASE,
            ClaimState.SENT,
        ),
        ({"status": "processing", "welcome_email": {"token": "t1"}}, AT, ClaimState.UNCONFIRMED),
    ],
)
def test_what_a_delivery_that_lost_the_email_claim_finds(item, now, state):
    assert claim_state(item, now) is state


def test_audit_event_ids_sort_in_lifecycle_order():
    ids = [audit_event_id(s) for s in (Status.PENDING, Status.PROCESSING, Status.COMPLETED)]
    assert ids == sorted(ids)
    assert audit_event_id(Status.FAILED) > ids[-1]


def test_user_id_is_stable_case_insensitive_and_distinct():
    assert user_id_for("Ada@Example.com") == user_id_for(" ada@example.com")
    assert user_id_for("ada@example.com") != user_id_for("ada@example.org")
    # pinned: a changed namespace would give every existing user a new id
    assert user_id_for("ada@example.com") == "e1210090-eaaf-52b7-8937-ecdf2d5306cc"


@pytest.mark.parametrize(
    ("raw", "address", "domain"),
    [
        ("Ada@Example.COM", "Ada@example.com", "example.com"),
        ("  ada@example.com ", "ada@example.com", "example.com"),
        ("jürgen@bücher.example", "jürgen@bücher.example", "bücher.example"),
    ],
)
def test_normalise_email(raw, address, domain):
    email = normalise_email(raw)
    assert (email.address, email.domain) == (address, domain)


@pytest.mark.parametrize(
    "raw", ["ada", "ada@", "@example.com", "a@b", "a b@example.com", "a@x.invalid"]
)
def test_invalid_emails(raw):
    with pytest.raises(InvalidField) as error:
        normalise_email(raw)
    assert error.value.field == "email"


@pytest.mark.parametrize(
    ("raw", "e164", "region"),
    [
        ("+44 20 7946 0958", "+442079460958", "GB"),
        ("+1 (202) 555-0143", "+12025550143", "US"),
        ("+33 6 12 34 56 78", "+33612345678", "FR"),
    ],
)
def test_normalise_phone_to_e164(raw, e164, region):
    phone = normalise_phone(raw)
    assert (phone.e164, phone.region) == (e164, region)


@pytest.mark.parametrize("raw", ["020 7946 0958", "+44 12", "+1 555 555 5555", "+999 1234567", "+"])
def test_invalid_phones(raw):
    with pytest.raises(InvalidField) as error:
        normalise_phone(raw)
    assert error.value.field == "phone"


def test_screen_accepts_possible_but_invalid_phone_for_enrich_to_judge():
    screen_registration("ada@example.com", "Ada", "+1 555 555 5555")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Ada \u00a0  Lovelace ", "Ada Lovelace"),
        ("Jose\u0301", "Jos\u00e9"),  # NFC: e + combining acute -> é
        ("李 小龍", "李 小龍"),
        ("O'Brien-Smith", "O'Brien-Smith"),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    "raw", ["", "   ", "1234", "!!", "Ada\x00", "Ada\tL", "Ada\x1b[31m", "A\u202eda", "A" * 81]
)
def test_invalid_names(raw):
    with pytest.raises(InvalidField) as error:
        clean_name(raw)
    assert error.value.field == "name"


def test_allow_list():
    assert parse_allowed_domains("*") is None
    assert parse_allowed_domains("") is None
    allowed = parse_allowed_domains(" Example.com ,partner.example.org,")
    assert allowed == frozenset({"example.com", "partner.example.org"})
    assert domain_allowed("EXAMPLE.com", allowed)
    assert not domain_allowed("evil-example.com", allowed)
    assert not domain_allowed("sub.example.com", allowed)  # exact match only
    assert domain_allowed("anything.example", None)


def test_normalise_user_reports_the_first_problem():
    allowed = frozenset({"example.com"})
    ok = normalise_user("Ada@Example.com", " Ada  L ", "+442079460958", allowed)
    assert ok.as_fields() == {
        "email": "Ada@example.com",
        "email_domain": "example.com",
        "phone": "+442079460958",
        "phone_region": "GB",
        "name": "Ada L",
    }
    assert normalise_user("bad", "1", "x", allowed) is FailureReason.INVALID_EMAIL
    assert normalise_user("a@example.com", "1", "x", allowed) is FailureReason.INVALID_PHONE
    assert normalise_user("a@example.com", "1", "+442079460958", allowed) is (
        FailureReason.INVALID_NAME
    )
    assert normalise_user("a@example.org", "Ada", "+442079460958", allowed) is (
        FailureReason.DOMAIN_NOT_ALLOWED
    )
    assert normalise_user(None, "Ada", "+442079460958", None) is FailureReason.INVALID_EMAIL


def test_fake_lookup_modes():
    assert lookup_domain(FakeProvider("ok"), "example.com", 1) == LookupResult(
        status="ok", provider="fake", has_mx=True
    )
    assert lookup_domain(FakeProvider("ok"), "nomx.example.com", 1).has_mx is False
    assert lookup_domain(FakeProvider("error"), "example.com", 1).reason == "error"


def test_hung_lookup_times_out_on_time():
    started = time.monotonic()
    result = lookup_domain(FakeProvider("hang"), "example.com", 0.05)
    assert result == LookupResult(status="error", provider="fake", reason="timeout")
    assert time.monotonic() - started < 1


def test_provider_selection():
    assert provider_named("none") is None
    assert provider_named("dns").name == "dns"
    assert provider_named("fake", "error").mode == "error"
    skipped = {"status": "skipped", "provider": "none"}
    assert lookup_domain(None, "example.com", 1).as_item() == skipped
    with pytest.raises(ValueError, match="LOOKUP_PROVIDER"):
        provider_named("whois")
    with pytest.raises(ValueError, match="LOOKUP_FAKE_MODE"):
        provider_named("fake", "slow")


def dynamodb_item_bytes(item: dict[str, str]) -> int:
    """DynamoDB's item size: attribute name bytes + UTF-8 value bytes (strings)."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in item.items())


def test_largest_accepted_registration_fits_one_write_unit():
    """The duplicate check costs one write unit only while the item stays under 1 KB."""
    email = ("a" * 64) + "@" + ".".join(["b" * 61] * 3) + ".com"  # 254 chars
    name = "\U0001f600" * 80  # 80 four-byte characters
    phone = "+44 20 7946 0958" + " " * 16  # 32 chars
    _, normalised = parse_registration(
        f'{{"email": "{email}", "name": "{name}", "phone": "{phone}"}}'.encode()
    )
    item = {
        "user_id": user_id_for(normalised.address),
        "email": email,
        "name": name,
        "phone": phone,
        "status": "pending",
        "correlation_id": "c" * 64,
        "created_at": "2026-11-29T10:15:00.123+00:00",
    }
    assert len(email) == 254
    assert dynamodb_item_bytes(item) <= 1024


def test_parse_rejects_oversized_fields_by_name():
    with pytest.raises(RequestRejected) as error:
        body = b'{"email": "a@example.com", "name": "Ada", "phone": "+44%s"}' % (b"1" * 31)
        parse_registration(body)
    assert (error.value.status, error.value.field) == (400, "phone")


def test_the_ses_mailbox_simulator_is_a_sign_up_domain_only_where_allowed():
    """Load tests register ``success+<label>@simulator.amazonses.com`` in staging; anywhere
    else such a user is a leaked test user, refused even with the allow-list ``*``."""
    email = "success+run1-0001@simulator.amazonses.com"
    refused = normalise_user(email, "Ada", "+442079460958", None)
    assert refused is FailureReason.DOMAIN_NOT_ALLOWED
    allowed = normalise_user(email, "Ada", "+442079460958", None, simulator_allowed=True)
    assert not isinstance(allowed, FailureReason)
    assert allowed.email_domain == "simulator.amazonses.com"
