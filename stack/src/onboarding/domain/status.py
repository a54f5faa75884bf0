"""The onboarding status machine and the machine-readable failure reasons (no AWS imports).

``pending -> processing -> completed``, ``pending -> failed``, ``processing -> failed``;
``failed`` always carries a :class:`FailureReason`. See docs/architecture.md.
"""

from enum import StrEnum


class Status(StrEnum):
    """Where a user is in the onboarding."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why an onboarding ended ``failed`` (also the ``reason`` metric dimension)."""

    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_NAME = "invalid_name"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"
    PROVISIONING_REJECTED = "provisioning_rejected"
    WELCOME_EMAIL_UNCONFIRMED = "welcome_email_unconfirmed"
    REDRIVE_EXHAUSTED = "redrive_exhausted"
    """Still in flight after the sweeper re-drove it ``MAX_REDRIVES`` times
    (:mod:`onboarding.domain.redrive`)."""


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.PROCESSING, Status.FAILED}),
    Status.PROCESSING: frozenset({Status.COMPLETED, Status.FAILED}),
    Status.COMPLETED: frozenset(),
    Status.FAILED: frozenset(),
}

IN_FLIGHT = frozenset({Status.PENDING, Status.PROCESSING})
"""The statuses a user passes through; the sweeper looks for users that stay in one."""

# Position of each status in the lifecycle: prefixes audit sort keys so they sort in order.
_RANK = {Status.PENDING: 1, Status.PROCESSING: 2, Status.COMPLETED: 3, Status.FAILED: 9}


class InvalidTransition(ValueError):
    """A status change the machine does not allow."""


def check_transition(current: Status, target: Status, reason: FailureReason | None = None) -> None:
    """Raise :class:`InvalidTransition` unless ``current -> target`` is allowed.

    A move to ``failed`` needs a reason; any other move must not carry one.

    >>> check_transition(Status.PENDING, Status.PROCESSING)
    """
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"{current} -> {target} is not allowed")
    if (target is Status.FAILED) != (reason is not None):
        raise InvalidTransition(f"{current} -> {target}: a reason is required exactly for failed")


def audit_event_id(status: Status) -> str:
    """The audit sort key for ``status``: deterministic, so a retried write cannot duplicate it.

    >>> audit_event_id(Status.PROCESSING)
    '2#processing'
    """
    return f"{_RANK[status]}#{status}"
