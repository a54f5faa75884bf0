"""A status change = audit entry first, then the conditional status update.

The audit entry is written before the update so that a crash between the two is repaired
by the retry (the audit put is idempotent, the update still pending).
"""

from typing import Any

from onboarding.adapters.audit import AuditLog
from onboarding.adapters.users import UsersTable
from onboarding.domain.clock import now_iso
from onboarding.domain.status import FailureReason, Status, check_transition


def change_status(
    users: UsersTable,
    audit: AuditLog,
    user: dict[str, Any],
    target: Status,
    reason: FailureReason | None = None,
    fields: dict[str, Any] | None = None,
    audit_details: dict[str, Any] | None = None,
) -> bool:
    """Move ``user`` (its stream image) from its current status to ``target``; the audit entry
    carries ``audit_details`` besides the change itself.

    Returns False when another delivery already moved it (nothing changed then).
    """
    current = Status(user["status"])
    check_transition(current, target, reason)
    at = now_iso()
    audit.record(user["user_id"], target, user.get("correlation_id"), reason, at, audit_details)
    changes = {**(fields or {}), "updated_at": at}
    if reason is not None:
        changes["failure_reason"] = str(reason)
    return users.update_status(user["user_id"], current, target, changes)
