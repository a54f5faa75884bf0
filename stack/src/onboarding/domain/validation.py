"""Validation and normalisation of a registration's fields (pure: no AWS imports).

Two levels, used by two functions:

- :func:`screen_registration` (register, synchronous, answers 4xx): lengths, control
  characters, email syntax, a phone number of a possible length in international format.
- :func:`normalise_email`, :func:`normalise_phone`, :func:`clean_name`,
  :func:`domain_allowed` (enrich, asynchronous, ends ``failed`` with a reason): the
  normalised forms, a phone number valid in its numbering plan, a name with a letter in it,
  the email-domain allow-list.
"""

import re
import unicodedata
from dataclasses import dataclass

import email_validator
import phonenumbers

EMAIL_MAX_CHARS = 254  # RFC 5321 path limit
NAME_MAX_CHARS = 80
PHONE_MAX_CHARS = 32

# Control (Cc), surrogate (Cs) and private-use (Co) characters, plus the Unicode
# bidirectional overrides/isolates that can disguise text (Trojan Source).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE_RUN = re.compile(r"\s+")


class InvalidField(ValueError):
    """A field value that fails validation; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Email:
    """A normalised email address (domain lower-cased and IDNA-checked)."""

    address: str
    domain: str


@dataclass(frozen=True)
class Phone:
    """A phone number in E.164 with its ISO region (e.g. ``GB``), when known."""

    e164: str
    region: str | None


def _is_forbidden_char(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs", "Co") or char in _BIDI_CONTROLS


def screen_text(field: str, value: str, max_chars: int) -> None:
    """Reject empty, over-long or control-character-bearing text for ``field``.

    >>> screen_text("name", "Ada", 80)
    """
    if not value.strip():
        raise InvalidField(field, "must not be empty")
    if len(value) > max_chars:
        raise InvalidField(field, f"must be at most {max_chars} characters")
    if any(_is_forbidden_char(char) for char in value):
        raise InvalidField(field, "must not contain control characters")


def normalise_email(raw: str) -> Email:
    """Check email syntax (no DNS) and return its normalised form.

    >>> normalise_email("Ada@Example.COM")
    Email(address='Ada@example.com', domain='example.com')
    """
    try:
        result = email_validator.validate_email(raw.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise InvalidField("email", str(error)) from None
    return Email(address=result.normalized, domain=result.domain.lower())


def _parse_phone(raw: str) -> phonenumbers.PhoneNumber:
    if not raw.strip().startswith("+"):
        raise InvalidField("phone", "must be in international format, starting with +")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as error:
        raise InvalidField("phone", f"is not a phone number ({error._msg})") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidField("phone", "has an impossible length for its country code")
    return number


def normalise_phone(raw: str) -> Phone:
    """Return the phone number in E.164 if it is valid in its numbering plan.

    >>> normalise_phone("+44 20 7946 0958")
    Phone(e164='+442079460958', region='GB')
    """
    number = _parse_phone(raw)
    if not phonenumbers.is_valid_number(number):
        raise InvalidField("phone", "is not a valid number in its numbering plan")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, region=phonenumbers.region_code_for_number(number))


_LINK_LIKE = re.compile(
    r"[^\W_][\w+.-]*://\S*"  # scheme://anything (https, ftp, data...)
    r"|\bwww\.\S*"  # www.anything
    r"|\S+@\S+"  # an email address (mailto: included)
    r"|(?:[^\W_][\w-]*[.\u3002\uff0e\uff61])+[^\W\d_]{2,}\b\S*",  # a host: evil.example
    re.IGNORECASE,
)
"""Also the dots IDNA reads as label separators (U+3002, U+FF0E, U+FF61, UTS #46)."""


def strip_links(text: str) -> str:
    """``text`` without URLs, host names and email addresses (mail clients turn each into a
    link), whitespace collapsed: what a caller typed can never become a link in an email.

    >>> strip_links("your account is locked, verify at https://evil.example")
    'your account is locked, verify at'
    >>> strip_links("Ada www.evil.example evil.example/x a@evil.example Lovelace")
    'Ada Lovelace'
    """
    return _WHITESPACE_RUN.sub(" ", _LINK_LIKE.sub(" ", text)).strip()


def clean_name(raw: str) -> str:
    """NFC-normalise, strip links (:func:`strip_links`), collapse whitespace; the result must
    contain a letter.

    >>> clean_name("  Ada \\u00a0 Lovelace ")
    'Ada Lovelace'
    """
    screen_text("name", raw, NAME_MAX_CHARS)
    name = strip_links(unicodedata.normalize("NFC", raw))
    if not any(unicodedata.category(char).startswith("L") for char in name):
        raise InvalidField("name", "must contain at least one letter")
    return name


def parse_allowed_domains(spec: str) -> frozenset[str] | None:
    """Parse ``ALLOWED_EMAIL_DOMAINS``: comma-separated domains; ``*`` (or empty) allows all.

    >>> sorted(parse_allowed_domains("Example.com, example.org"))
    ['example.com', 'example.org']
    """
    domains = frozenset(part.strip().lower() for part in spec.split(",") if part.strip())
    return None if not domains or "*" in domains else domains


SES_SIMULATOR_DOMAIN = "simulator.amazonses.com"
"""SES's mailbox simulator: addresses a load test may use, never a real user's."""


def domain_allowed(
    domain: str, allowed: frozenset[str] | None, simulator_allowed: bool = False
) -> bool:
    """True when ``domain`` is on the allow-list (exact match; ``None`` allows every domain).

    The mailbox simulator's domain is allowed only where ``simulator_allowed`` (staging):
    elsewhere a sign-up on it is a test user that leaked out of a load test.

    >>> domain_allowed("simulator.amazonses.com", None), domain_allowed("a.org", None)
    (False, True)
    """
    if domain.lower() == SES_SIMULATOR_DOMAIN:
        return simulator_allowed
    return allowed is None or domain.lower() in allowed


def screen_registration(email: str, name: str, phone: str) -> Email:
    """The synchronous checks of ``POST /register``; returns the normalised email.

    Raises :class:`InvalidField` naming the first bad field.
    """
    screen_text("email", email, EMAIL_MAX_CHARS)
    screen_text("name", name, NAME_MAX_CHARS)
    screen_text("phone", phone, PHONE_MAX_CHARS)
    _parse_phone(phone)
    return normalise_email(email)
