"""The append-only audit log (``AUDIT_TABLE``): one item per status change, expiring by TTL.

The sort key is deterministic per status (``status.audit_event_id``) and the put is
conditional on :data:`NEW_ENTRY` (neither key attribute exists: no item has this key), so a
retried write never duplicates an entry and never overwrites one: the table stays
append-only even under redelivery. No role of the stack may update or delete an entry
(tests/stack/test_template_resources.py); what "immutable" does and does not mean here:
docs/security.md, "The audit trail".
"""

from typing import Any

from onboarding.adapters import config
from onboarding.adapters.clients import client
from onboarding.adapters.dynamo import is_condition_failure, to_item
from onboarding.domain.clock import epoch_seconds, now_iso
from onboarding.domain.status import FailureReason, Status, audit_event_id

SECONDS_PER_DAY = 86_400
NEW_ENTRY = "attribute_not_exists(user_id) AND attribute_not_exists(event_id)"
"""The condition of every audit put: no entry has this key yet (both key attributes absent)."""


class AuditLog:
    """Idempotent appends to the audit table."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or config.audit_table()

    def record(
        self,
        user_id: str,
        status: Status,
        correlation_id: str | None,
        reason: FailureReason | None = None,
        at: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> bool:
        """Append the entry for ``status`` (plus ``details``, PII-free attributes of the change:
        the completed entry's ``lake`` row); False when it was already recorded."""
        entry = {
            **(details or {}),
            "user_id": user_id,
            "event_id": audit_event_id(status),
            "status": str(status),
            "reason": str(reason) if reason else None,
            "correlation_id": correlation_id,
            "at": at or now_iso(),
            "expires_at": epoch_seconds() + config.audit_ttl_days() * SECONDS_PER_DAY,
        }
        try:
            client("dynamodb").put_item(
                TableName=self.name,
                Item=to_item(entry),
                ConditionExpression=NEW_ENTRY,
            )
        except Exception as error:
            if is_condition_failure(error):
                return False
            raise
        return True
