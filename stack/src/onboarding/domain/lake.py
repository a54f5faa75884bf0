"""The data lake's row of a completed user: PII-free, built by provision, carried by the
``completed`` audit entry (attribute ``lake``) to DataLakeFunction through the audit stream.

No email address, name or phone: only the user id (pseudonymous), the email domain, the
phone's region, the lookup outcome and the lifecycle timestamps.

>>> user = {"user_id": "u1", "name": "Ada", "email": "ada@example.com", "status": "processing",
...         "email_domain": "example.com", "lookup": {"status": "ok", "has_mx": True}}
>>> sorted(lake_row(user, "2026-11-29T10:15:01+00:00").items())  # doctest: +NORMALIZE_WHITESPACE
[('completed_at', '2026-11-29T10:15:01+00:00'), ('email_domain', 'example.com'),
 ('has_mx', True), ('lookup_status', 'ok'), ('status', 'completed'), ('user_id', 'u1')]
"""

from typing import Any

from onboarding.domain.status import Status

LAKE_FIELDS = ("user_id", "created_at", "enriched_at", "email_domain", "phone_region")


def lake_row(user: dict[str, Any], completed_at: str) -> dict[str, Any]:
    """The row for ``user`` (its processing image) completing at ``completed_at``."""
    row = {field: user[field] for field in LAKE_FIELDS if field in user}
    lookup = user.get("lookup") or {}
    row |= {
        "status": str(Status.COMPLETED),
        "completed_at": completed_at,
        "lookup_status": lookup.get("status"),
        "has_mx": lookup.get("has_mx"),
    }
    return row
