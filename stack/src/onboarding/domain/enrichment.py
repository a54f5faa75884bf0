"""What enrichment decides for a pending user (pure: no AWS imports, no lookups).

Either the normalised fields, or the machine-readable reason the onboarding fails.
"""

from dataclasses import dataclass
from typing import Any

from onboarding.domain.status import FailureReason
from onboarding.domain.validation import (
    InvalidField,
    clean_name,
    domain_allowed,
    normalise_email,
    normalise_phone,
)

_REASON_BY_FIELD = {
    "email": FailureReason.INVALID_EMAIL,
    "phone": FailureReason.INVALID_PHONE,
    "name": FailureReason.INVALID_NAME,
}


@dataclass(frozen=True)
class Normalised:
    """The user's fields after normalisation."""

    email: str
    email_domain: str
    phone: str
    phone_region: str | None
    name: str

    def as_fields(self) -> dict[str, Any]:
        """The attributes written on the user item."""
        return {key: value for key, value in vars(self).items() if value is not None}


def normalise_user(
    email: Any,
    name: Any,
    phone: Any,
    allowed_domains: frozenset[str] | None,
    simulator_allowed: bool = False,
) -> Normalised | FailureReason:
    """Normalise the user's fields, or say why the onboarding fails (first problem wins:
    email, then phone, then name, then the domain allow-list; SES's mailbox simulator only
    where ``simulator_allowed``).

    >>> normalise_user("a@example.com", "Ada", "+442079460958", frozenset({"example.org"}))
    <FailureReason.DOMAIN_NOT_ALLOWED: 'domain_not_allowed'>
    """
    try:
        checked_email = normalise_email(_text(email, "email"))
        checked_phone = normalise_phone(_text(phone, "phone"))
        cleaned_name = clean_name(_text(name, "name"))
    except InvalidField as error:
        return _REASON_BY_FIELD[error.field]
    if not domain_allowed(checked_email.domain, allowed_domains, simulator_allowed):
        return FailureReason.DOMAIN_NOT_ALLOWED
    return Normalised(
        email=checked_email.address,
        email_domain=checked_email.domain,
        phone=checked_phone.e164,
        phone_region=checked_phone.region,
        name=cleaned_name,
    )


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    return value
