"""Registration payloads for load tests: realistic valid users plus a configurable bad share.

Importable without Locust. Each payload carries the HTTP statuses the API contract allows for
its kind, so the locustfile can count an expected 4xx as a success and anything else as a
failure. A ``duplicate`` is an accepted email with a new name and phone: the API answers it
as it answers a new address (202, the same user id: it never tells a registered address
apart), and the mailbox gets the already-registered notice, at most one a day.
Configuration comes from the environment (see ``PayloadFactory.from_env``):

- ``ONRAMP_MIX``: shares of the bad kinds, e.g. ``invalid_email=0.05,duplicate=2%``; the rest
  is ``valid``. Unset means ``DEFAULT_MIX``; empty means every payload is valid.
- ``ONRAMP_EMAIL_DOMAINS``: comma-separated domains for accepted emails.
- ``ONRAMP_DISALLOWED_DOMAIN``: the domain the stack's allow-list rejects (at enrichment, so
  the API still answers 202 and the user ends ``failed`` with ``domain_not_allowed``).
- ``ONRAMP_OVERSIZED_BYTES``: body size of the ``oversized`` kind (the API limit is 8 KB).
- ``ONRAMP_SEED``: seed for the choice of kinds, names and phones (emails stay unique).
- ``ONRAMP_RECIPIENTS``: ``domains`` (default: ``ONRAMP_EMAIL_DOMAINS``) or ``simulator``:
  every email then goes to SES's mailbox simulator, ``success+<label>@simulator.amazonses.com``
  with ``SIMULATOR_SHARES`` of ``bounce+`` and ``complaint+`` addresses. AWS's SES guide: the
  simulator works in the sandbox, its mail does not count against the daily sending quota,
  it is billed like any email and it is still bound by the account's maximum send rate.
"""

from __future__ import annotations

import json
import os
import random
import unicodedata
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from faker import Faker

from kernel.errors import UsageError
from loadtest.units import parse_share

VALID = "valid"
BAD_KINDS: tuple[str, ...] = (
    "invalid_email",
    "disallowed_domain",
    "missing_field",
    "duplicate",
    "oversized",
)
KINDS: tuple[str, ...] = (VALID, *BAD_KINDS)

EXPECTED_STATUSES: dict[str, frozenset[int]] = {
    VALID: frozenset({202}),
    "invalid_email": frozenset({400, 422}),
    "disallowed_domain": frozenset({202}),
    "missing_field": frozenset({400, 422}),
    "duplicate": frozenset({202}),  # a registered address gets the new one's answer
    "oversized": frozenset({413}),
}
ACCEPTED_STATUS = 202

DEFAULT_MIX_TEXT = (
    "invalid_email=0.05,disallowed_domain=0.05,missing_field=0.03,duplicate=0.02,oversized=0.01"
)
DEFAULT_EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")
DEFAULT_DISALLOWED_DOMAIN = "not-allowed.example"
DEFAULT_OVERSIZED_BYTES = 16 * 1024
REQUIRED_FIELDS: tuple[str, ...] = ("email", "name", "phone")

_LOCALE_REGIONS = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES"}
_INVALID_EMAIL_FORMS = (
    "{local}",
    "{local}@@{domain}",
    "{local} x@{domain}",
    ".{local}@{domain}",
    "{local}@{domain}.",
    "{local}@localhost",
    "{local}@{domain}@{domain}",
)
_REMEMBERED_EMAILS = 1000

SIMULATOR_DOMAIN = "simulator.amazonses.com"
SIMULATOR_SHARES: dict[str, float] = {"bounce": 0.02, "complaint": 0.01}
"""Shares of simulated outcomes among simulator addresses; the rest are ``success``."""
RECIPIENTS: tuple[str, ...] = ("domains", "simulator")


def parse_mix(text: str, source: str = "ONRAMP_MIX") -> dict[str, float]:
    """Shares of the bad kinds from ``kind=share,...`` (share ``0.05`` or ``5%``).

    >>> parse_mix("duplicate=2%,oversized=0.01")
    {'duplicate': 0.02, 'oversized': 0.01}

    Raises UsageError naming ``source`` for an unknown kind, a bad share, or shares over 1.
    """
    mix: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, raw = (piece.strip() for piece in item.partition("="))
        if not sep or kind not in BAD_KINDS:
            raise UsageError(
                f"{source}: {item!r} is not kind=share with kind one of {', '.join(BAD_KINDS)}"
            )
        mix[kind] = parse_share(raw, f"{source}: {kind}")
    if sum(mix.values()) > 1 + 1e-9:
        raise UsageError(f"{source}: the shares add up to more than 1 ({sum(mix.values()):g})")
    return mix


@dataclass(frozen=True)
class Payload:
    """One request body, its kind, and the statuses the API contract allows for it."""

    kind: str
    body: bytes
    email: str | None

    @property
    def expected_statuses(self) -> frozenset[int]:
        """Statuses that count as a success for this kind."""
        return EXPECTED_STATUSES[self.kind]

    @property
    def request_name(self) -> str:
        """The Locust request name, one stats row per kind."""
        return f"POST /register [{self.kind}]"


class PayloadFactory:
    """Makes payloads with the configured mix; duplicates reuse emails the API accepted."""

    def __init__(
        self,
        mix: Mapping[str, float],
        *,
        email_domains: tuple[str, ...] = DEFAULT_EMAIL_DOMAINS,
        disallowed_domain: str = DEFAULT_DISALLOWED_DOMAIN,
        oversized_bytes: int = DEFAULT_OVERSIZED_BYTES,
        seed: int | None = None,
        recipients: str = "domains",
    ) -> None:
        if recipients not in RECIPIENTS:
            raise UsageError(f"ONRAMP_RECIPIENTS: {recipients!r} is not one of {RECIPIENTS}")
        self._simulated = recipients == "simulator"
        self._rng = random.Random(seed)
        self._kinds = [VALID, *mix]
        self._weights = [max(0.0, 1 - sum(mix.values())), *mix.values()]
        self._email_domains = email_domains
        self._disallowed_domain = disallowed_domain
        self._oversized_bytes = oversized_bytes
        self._fakers = {locale: Faker(locale) for locale in _LOCALE_REGIONS}
        for index, faker in enumerate(self._fakers.values()):
            faker.seed_instance(None if seed is None else seed + index)
        self._accepted_emails: deque[str] = deque(maxlen=_REMEMBERED_EMAILS)
        self._makers = {
            VALID: self._make_valid,
            "invalid_email": self._make_invalid_email,
            "disallowed_domain": self._make_disallowed_domain,
            "missing_field": self._make_missing_field,
            "duplicate": self._make_duplicate,
            "oversized": self._make_oversized,
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PayloadFactory:
        """A factory configured by the ``ONRAMP_*`` variables described in the module doc."""
        domains = tuple(
            d.strip() for d in environ.get("ONRAMP_EMAIL_DOMAINS", "").split(",") if d.strip()
        )
        return cls(
            parse_mix(environ.get("ONRAMP_MIX", DEFAULT_MIX_TEXT)),
            email_domains=domains or DEFAULT_EMAIL_DOMAINS,
            disallowed_domain=environ.get("ONRAMP_DISALLOWED_DOMAIN", DEFAULT_DISALLOWED_DOMAIN),
            oversized_bytes=_env_int(environ, "ONRAMP_OVERSIZED_BYTES", DEFAULT_OVERSIZED_BYTES),
            seed=_env_int(environ, "ONRAMP_SEED", None),
            recipients=environ.get("ONRAMP_RECIPIENTS", "domains").strip() or "domains",
        )

    def next(self) -> Payload:
        """The next payload; a ``duplicate`` with nothing accepted yet is sent as ``valid``."""
        kind = self._rng.choices(self._kinds, self._weights)[0]
        if kind == "duplicate" and not self._accepted_emails:
            kind = VALID
        return self._makers[kind]()

    def remember_accepted(self, payload: Payload) -> None:
        """Record that the API accepted ``payload``, making its email available to duplicates."""
        if payload.kind == VALID and payload.email:
            self._accepted_emails.append(payload.email)

    def _person(self, domain: str | None = None) -> dict[str, str]:
        locale = self._rng.choice(tuple(self._fakers))
        faker = self._fakers[locale]
        first, last = faker.first_name(), faker.last_name()
        local = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{uuid.uuid4().hex[:10]}"
        if self._simulated and domain is None:
            local, domain = f"{self._simulated_outcome()}+{local}", SIMULATOR_DOMAIN
        return {
            "email": f"{local}@{domain or self._rng.choice(self._email_domains)}",
            "name": f"{first} {last}",
            "phone": self._phone(_LOCALE_REGIONS[locale]),
        }

    def _simulated_outcome(self) -> str:
        """``success``, ``bounce`` or ``complaint``, in ``SIMULATOR_SHARES``."""
        outcomes = [*SIMULATOR_SHARES, "success"]
        weights = [*SIMULATOR_SHARES.values(), 1 - sum(SIMULATOR_SHARES.values())]
        return self._rng.choices(outcomes, weights)[0]

    def _phone(self, region: str) -> str:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        digits = str(example.national_number)
        candidate = phonenumbers.parse(
            f"+{example.country_code}{digits[:-4]}{self._rng.randrange(10_000):04d}"
        )
        number = candidate if phonenumbers.is_valid_number(candidate) else example
        style = self._rng.choice(
            (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        )
        return phonenumbers.format_number(number, style)

    def _payload(self, kind: str, fields: dict[str, str]) -> Payload:
        return Payload(kind=kind, body=_encode(fields), email=fields.get("email"))

    def _make_valid(self) -> Payload:
        return self._payload(VALID, self._person())

    def _make_invalid_email(self) -> Payload:
        person = self._person()
        local, _, domain = person["email"].partition("@")
        form = self._rng.choice(_INVALID_EMAIL_FORMS)
        email = form.format(local=local, domain=domain)
        return self._payload("invalid_email", {**person, "email": email})

    def _make_disallowed_domain(self) -> Payload:
        return self._payload("disallowed_domain", self._person(self._disallowed_domain))

    def _make_missing_field(self) -> Payload:
        person = self._person()
        del person[self._rng.choice(REQUIRED_FIELDS)]
        return self._payload("missing_field", person)

    def _make_duplicate(self) -> Payload:
        person = {**self._person(), "email": self._rng.choice(self._accepted_emails)}
        return self._payload("duplicate", person)

    def _make_oversized(self) -> Payload:
        person = self._person()
        padding = max(1, self._oversized_bytes - len(_encode(person)))
        paragraph = self._fakers["en_US"].paragraph(nb_sentences=8) + " "
        bio = (paragraph * (padding // len(paragraph) + 1))[:padding]
        return self._payload("oversized", {**person, "bio": bio})


def _encode(fields: dict[str, str]) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode()


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters of ``text`` (``Zoë`` -> ``zoe``), for email local parts."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum()) or "user"


def _env_int(environ: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name}: {raw!r} is not an integer") from None
