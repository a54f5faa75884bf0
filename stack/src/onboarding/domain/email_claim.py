"""The welcome-email claim on the user item, as rules (no AWS imports).

``welcome_email = {token, claimed_at, until}`` is written, conditionally, before the email is
sent; the claimant adds ``message_id`` and ``sent_at`` once SES accepted the message, or
removes the claim after a transient SES error (the email provably did not go out). A delivery
that finds someone else's claim reads it (the failed conditional write returns the item) and
goes by :func:`claim_state`:

- ``sent``: the message id is recorded, the user may complete;
- ``held``: no message id yet and the lease runs: the claimant may still be sending, so wait
  (or let Lambda retry the record) and never send;
- ``unconfirmed``: no message id and the lease is over: the claimant died between claiming
  and recording, before or after SES accepted the email, which nothing can tell apart. It is
  never sent again (at most one email); the user ends ``failed`` with
  ``welcome_email_unconfirmed`` for an operator to check and re-send;
- ``settled``: the user is no longer ``processing`` (completed or failed): nothing to do;
- ``free``: no claim (it was released in the meantime): claim again.

The lease bounds how long other deliveries wait for a claimant, not who may send: nothing
ever sends on a claim it does not hold, so a claimant outliving its lease costs a false
``unconfirmed`` (its message id is still recorded), never a second email.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from onboarding.domain.clock import iso
from onboarding.domain.status import Status

LEASE = timedelta(seconds=15)
"""How long a claimant may take from claim to recorded message id: SendEmail with its four
SDK attempts (throttling backoff at most 1 + 2 + 4 s) plus one UpdateItem, with a margin."""


class ClaimState(StrEnum):
    """What a delivery that did not get the claim finds on the user item."""

    SENT = "sent"
    HELD = "held"
    UNCONFIRMED = "unconfirmed"
    SETTLED = "settled"
    FREE = "free"


def new_claim(token: str, now: datetime, lease: timedelta = LEASE) -> dict[str, str]:
    """The claim a delivery writes before sending: its token and the end of its lease.

    >>> new_claim("t1", datetime(2026, 1, 1, tzinfo=UTC))["until"]
    '2026-01-01T00:00:15.000+00:00'
    """
    return {"token": token, "claimed_at": iso(now), "until": iso(now + lease)}


def lease_end(claim: dict[str, Any]) -> datetime:
    """When the claim's lease ends (claims without ``until``: ``claimed_at`` + LEASE)."""
    if claim.get("until"):
        return datetime.fromisoformat(str(claim["until"]))
    if claim.get("claimed_at"):
        return datetime.fromisoformat(str(claim["claimed_at"])) + LEASE
    return datetime.min.replace(tzinfo=UTC)


def claim_state(item: dict[str, Any] | None, now: datetime) -> ClaimState:
    """Classify the user item a lost claim returned (module doc).

    >>> at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> claim = new_claim("t1", at)
    >>> user = {"status": "processing", "welcome_email": claim}
    >>> claim_state(user, at), claim_state(user, at + LEASE)
    (<ClaimState.HELD: 'held'>, <ClaimState.UNCONFIRMED: 'unconfirmed'>)
    """
    if item is None or item.get("status") != Status.PROCESSING:
        return ClaimState.SETTLED
    claim = item.get("welcome_email")
    if not claim:
        return ClaimState.FREE
    if claim.get("message_id"):
        return ClaimState.SENT
    return ClaimState.HELD if now < lease_end(claim) else ClaimState.UNCONFIRMED
