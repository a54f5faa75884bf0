"""The per-source sign-up counters (``REGISTER_LIMITS_TABLE``, partition key ``source``).

One conditional ``UpdateItem`` per request, whatever the answer: ``ADD`` one to the window's
count unless it already reached the limit. Under the limit it is written (1 write unit: the
item is under 1 KB); at the limit the condition fails, nothing changes and DynamoDB still
bills the write unit. The item expires by TTL an hour after its window.
"""

import time

from onboarding.adapters import config
from onboarding.adapters.clients import client
from onboarding.adapters.dynamo import Expression, is_condition_failure, to_item
from onboarding.domain.source_limit import window_for

EXPIRY_MARGIN_S = 3_600
"""Kept this long after its window, so a late request never sees a window's count vanish."""


class SourceLimits:
    """Counts sign-up requests per source and fixed window."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or config.register_limits_table()

    def admit(self, source: str) -> int | None:
        """Count one request of ``source``: None when admitted, else the whole seconds until
        its full window ends (the ``Retry-After`` value)."""
        limit, window_s = config.register_limit_per_source(), config.register_limit_window_s()
        now = time.time()
        window = window_for(source, now, window_s)
        expression = Expression()
        count = expression.path("requests")
        expires = expression.value(window.ends_at + EXPIRY_MARGIN_S)
        update = (
            f"ADD {count} {expression.value(1)} SET {expression.path('expires_at')} = {expires}"
        )
        condition = f"attribute_not_exists({count}) OR {count} < {expression.value(limit)}"
        try:
            client("dynamodb").update_item(
                TableName=self.name,
                Key=to_item({"source": window.key}),
                UpdateExpression=update,
                ConditionExpression=condition,
                **expression.arguments(),
            )
        except Exception as error:
            if is_condition_failure(error):
                return window.retry_after(now)
            raise
        return None
