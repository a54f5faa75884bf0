"""Properties of the registration rules (stack/src/onboarding): on any input they either
answer or raise their declared validation error, and their normal forms are fixed points."""

from __future__ import annotations

import json

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onboarding.domain.enrichment import Normalised, normalise_user
from onboarding.domain.model import RequestRejected, parse_registration
from onboarding.domain.status import FailureReason
from onboarding.domain.validation import (
    InvalidField,
    clean_name,
    domain_allowed,
    normalise_email,
    normalise_phone,
    parse_allowed_domains,
)

BOUNDED = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like the fields some of the time, and like anything the rest of the time.
emails = st.one_of(st.text(max_size=60), st.emails().map(str))
example_phones = st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)).map(
    lambda region: phonenumbers.example_number(region)
)
phones = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="+0123456789 -().", max_size=24),
    example_phones.filter(lambda n: n is not None).map(
        lambda n: phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    ),
)
names = st.text(max_size=100)


@BOUNDED
@given(emails)
def test_normalise_email_answers_or_rejects_and_is_idempotent(raw: str) -> None:
    try:
        email = normalise_email(raw)
    except InvalidField as error:
        assert error.field == "email"
        return
    assert normalise_email(email.address) == email
    assert email.domain == email.domain.lower()


@BOUNDED
@given(phones)
def test_normalise_phone_answers_or_rejects_and_e164_round_trips(raw: str) -> None:
    try:
        phone = normalise_phone(raw)
    except InvalidField as error:
        assert error.field == "phone"
        return
    assert phone.e164.startswith("+") and phone.e164[1:].isdigit()
    assert normalise_phone(phone.e164) == phone


@BOUNDED
@given(example_phones.filter(lambda n: n is not None))
def test_every_regions_example_number_normalises_to_its_e164(number) -> None:
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert normalise_phone(international).e164 == e164


@BOUNDED
@given(names)
def test_clean_name_answers_or_rejects_and_is_idempotent(raw: str) -> None:
    try:
        name = clean_name(raw)
    except InvalidField as error:
        assert error.field == "name"
        return
    assert clean_name(name) == name
    assert name == name.strip() and "  " not in name


@BOUNDED
@given(st.one_of(emails, st.none(), st.integers()), st.one_of(names, st.none()), phones)
def test_normalise_user_never_raises_and_its_result_is_a_fixed_point(email, name, phone) -> None:
    outcome = normalise_user(email, name, phone, None)
    if isinstance(outcome, FailureReason):
        return
    assert isinstance(outcome, Normalised)
    assert normalise_user(outcome.email, outcome.name, outcome.phone, None) == outcome


@BOUNDED
@given(st.from_regex(r"[a-z0-9-]{1,20}(\.[a-z]{2,6}){1,2}", fullmatch=True), st.booleans())
def test_allow_list_admits_exactly_its_domains(domain: str, upper: bool) -> None:
    allowed = parse_allowed_domains(f" {domain.upper() if upper else domain} ,other.invalid")
    assert domain_allowed(domain, allowed)
    assert domain_allowed(domain.upper(), allowed)
    assert not domain_allowed("x" + domain, allowed)
    assert domain_allowed(domain, parse_allowed_domains("*"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"email": emails, "name": names, "phone": phones},
        optional={"extra": json_values},
    ).map(lambda value: json.dumps(value, ensure_ascii=False).encode()),
)


@BOUNDED
@given(bodies)
def test_parse_registration_answers_or_rejects_with_a_400_naming_a_field(body: bytes) -> None:
    try:
        request, email = parse_registration(body)
    except RequestRejected as rejection:
        assert rejection.status == 400
        assert rejection.field in {"body", "email", "name", "phone", *_object_keys(body)}
        assert rejection.as_body()["error"].startswith(f"{rejection.field}: ")
        return
    assert email == normalise_email(request.email)


def _object_keys(body: bytes) -> set[str]:
    """The top-level keys of ``body`` when it is a JSON object (fields a rejection may name)."""
    try:
        value = json.loads(body)
    except ValueError:
        return set()
    return set(value) if isinstance(value, dict) else set()
