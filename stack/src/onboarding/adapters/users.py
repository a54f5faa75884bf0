"""The Users table adapter: the pending row, conditional status updates, the welcome-email claim.

Every write is conditional, so a redelivered stream record changes nothing the second time.
"""

from typing import Any

from onboarding.adapters import config
from onboarding.adapters.clients import client
from onboarding.adapters.dynamo import Expression, from_item, is_condition_failure, to_item
from onboarding.domain.redrive import (
    IN_FLIGHT_ATTRIBUTE,
    IN_FLIGHT_INDEX,
    IN_FLIGHT_SINCE,
    REDRIVES_ATTRIBUTE,
    in_flight_marker,
)
from onboarding.domain.status import Status

QUERY_PAGE = 100


class UsersTable:
    """Conditional writes on ``USERS_TABLE`` (partition key ``user_id``)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or config.users_table()

    def create_pending(self, user: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
        """Put a new pending user: ``(True, None)``; if the user id already exists nothing is
        written and the answer is ``(False, the stored item)`` (ReturnValuesOnConditionCheckFailure:
        no extra read)."""
        pending = {"status": str(Status.PENDING), IN_FLIGHT_ATTRIBUTE: str(Status.PENDING)}
        try:
            client("dynamodb").put_item(
                TableName=self.name,
                Item=to_item({**user, **pending}),
                ConditionExpression="attribute_not_exists(user_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as error:
            if is_condition_failure(error):
                return False, _item_as_it_was(error)
            raise
        return True, None

    def get(self, user_id: str) -> dict[str, Any] | None:
        """The user's current item (strongly consistent read), or None."""
        response = client("dynamodb").get_item(
            TableName=self.name, Key=to_item({"user_id": user_id}), ConsistentRead=True
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def _conditional_update(
        self, user_id: str, update: str, condition: str, expression: Expression
    ) -> bool:
        return self._update_or_read(user_id, update, condition, expression, return_old=False)[0]

    def _update_or_read(
        self,
        user_id: str,
        update: str,
        condition: str,
        expression: Expression,
        return_old: bool,
    ) -> tuple[bool, dict[str, Any] | None]:
        """(True, None) when written; (False, the item as it was, if ``return_old``) when the
        condition failed (ReturnValuesOnConditionCheckFailure: no extra read)."""
        extra = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"} if return_old else {}
        response, old = self._update(user_id, update, condition, expression, **extra)
        return response is not None, old

    def _update(
        self, user_id: str, update: str, condition: str, expression: Expression, **extra: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(UpdateItem's response, None) when written; (None, the item as it was when asked
        for with ``extra``) when the condition failed."""
        try:
            response: dict[str, Any] = client("dynamodb").update_item(
                TableName=self.name,
                Key=to_item({"user_id": user_id}),
                UpdateExpression=update,
                ConditionExpression=condition,
                **extra,
                **expression.arguments(),
            )
        except Exception as error:
            if is_condition_failure(error):
                return None, _item_as_it_was(error)
            raise
        return response, None

    def update_status(
        self, user_id: str, expected: Status, target: Status, fields: dict[str, Any]
    ) -> bool:
        """Set ``status = target`` plus ``fields`` only if the status is still ``expected``;
        ``in_flight`` follows the status (removed once settled: the sparse index drops it).

        Returns False (nothing written) when the status has already moved on.
        """
        expression = Expression()
        marker = in_flight_marker(target)
        changes = {**fields, "status": str(target)}
        if marker is not None:
            changes[IN_FLIGHT_ATTRIBUTE] = marker
        update = expression.set_clause(changes)
        if marker is None:
            update += f" REMOVE {expression.path(IN_FLIGHT_ATTRIBUTE)}"
        condition = f"{expression.path('status')} = {expression.value(str(expected))}"
        return self._conditional_update(user_id, update, condition, expression)

    def count_redrive(
        self, user_id: str, expected: Status, max_redrives: int, at: str
    ) -> int | None:
        """Add one to the user's ``redrives`` if it is still ``expected`` and under
        ``max_redrives``; the new count, or None when another sweep or delivery got there first.
        """
        expression = Expression()
        count = expression.path(REDRIVES_ATTRIBUTE)
        update = (
            f"SET {count} = if_not_exists({count}, {expression.value(0)}) + "
            f"{expression.value(1)}, {expression.path('redriven_at')} = {expression.value(at)}"
        )
        condition = (
            f"{expression.path('status')} = {expression.value(str(expected))} AND "
            f"(attribute_not_exists({count}) OR {count} < {expression.value(max_redrives)})"
        )
        response, _ = self._update(
            user_id, update, condition, expression, ReturnValues="UPDATED_NEW"
        )
        if response is None:
            return None
        return int(from_item(response["Attributes"])[REDRIVES_ATTRIBUTE])

    def in_flight_before(self, status: Status, cutoff: str) -> list[str]:
        """Ids of the users the in-flight index holds in ``status`` created before ``cutoff``
        (oldest first). The index is eventually consistent: read the item before acting."""
        expression = Expression()
        condition = (
            f"{expression.path(IN_FLIGHT_ATTRIBUTE)} = {expression.value(str(status))} AND "
            f"{expression.path(IN_FLIGHT_SINCE)} < {expression.value(cutoff)}"
        )
        user_ids: list[str] = []
        arguments: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": IN_FLIGHT_INDEX,
            "KeyConditionExpression": condition,
            "Limit": QUERY_PAGE,
            **expression.arguments(),
        }
        while True:
            page = client("dynamodb").query(**arguments)
            user_ids.extend(from_item(item)["user_id"] for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return user_ids
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_welcome_email(
        self, user_id: str, claim: dict[str, Any]
    ) -> tuple[bool, dict[str, Any] | None]:
        """Record ``welcome_email = claim`` unless an email was already claimed (or the user
        is no longer processing).

        Returns ``(True, None)`` when this caller, and only it, may send the email, else
        ``(False, item)`` with the item as it was (ReturnValuesOnConditionCheckFailure, no
        extra read; None if the user does not exist).
        """
        expression = Expression()
        update = expression.set_clause({"welcome_email": claim})
        condition = (
            f"attribute_not_exists({expression.path('welcome_email')}) AND "
            f"{expression.path('status')} = {expression.value(str(Status.PROCESSING))}"
        )
        return self._update_or_read(user_id, update, condition, expression, return_old=True)

    def record_welcome_email(self, user_id: str, token: str, fields: dict[str, Any]) -> bool:
        """Add ``fields`` (message id, sent_at) to this caller's claim; False if not its claim."""
        return self._add_to_claim(user_id, "welcome_email", token, fields)

    def release_welcome_email(self, user_id: str, token: str) -> bool:
        """Drop this caller's claim (after a transient send failure) so a retry can send."""
        return self._remove_if_claimed(user_id, "welcome_email", "welcome_email", token)

    def request_notice(self, user_id: str, notice: dict[str, str]) -> bool:
        """Set ``notice`` on a registered, not failed user unless an earlier notice's interval
        (``notice.until``) has not passed by this one's ``requested_at``; False when nothing
        was written (bounded, or no such user)."""
        expression = Expression()
        update = expression.set_clause({"notice": notice})
        field = expression.path("notice")
        condition = (
            f"attribute_exists({expression.path('user_id')}) AND "
            f"{expression.path('status')} <> {expression.value(str(Status.FAILED))} AND "
            f"(attribute_not_exists({field}) OR "
            f"{expression.path('notice.until')} < {expression.value(notice['requested_at'])})"
        )
        return self._conditional_update(user_id, update, condition, expression)

    def claim_notice(self, user_id: str, requested_at: str, token: str) -> bool:
        """Take the notice requested at ``requested_at`` for this caller; False when it was
        taken already or replaced by a newer request."""
        expression = Expression()
        update = expression.set_clause({"notice.token": token})
        condition = (
            f"{expression.path('notice.requested_at')} = {expression.value(requested_at)} AND "
            f"attribute_not_exists({expression.path('notice.token')})"
        )
        return self._conditional_update(user_id, update, condition, expression)

    def record_notice(self, user_id: str, token: str, fields: dict[str, Any]) -> bool:
        """Add ``fields`` (message id and sent_at, or the SES error) to this caller's notice."""
        return self._add_to_claim(user_id, "notice", token, fields)

    def release_notice(self, user_id: str, token: str) -> bool:
        """Drop this caller's claim (after a transient send failure) so a retry can send."""
        return self._remove_if_claimed(user_id, "notice", "notice.token", token)

    def _add_to_claim(self, user_id: str, claim: str, token: str, fields: dict[str, Any]) -> bool:
        """Set ``fields`` inside the map ``claim`` if this caller's ``token`` holds it."""
        expression = Expression()
        update = expression.set_clause({f"{claim}.{k}": v for k, v in fields.items()})
        condition = f"{expression.path(f'{claim}.token')} = {expression.value(token)}"
        return self._conditional_update(user_id, update, condition, expression)

    def _remove_if_claimed(self, user_id: str, claim: str, removed: str, token: str) -> bool:
        """Remove ``removed`` (the claim, or only its token) if ``token`` holds ``claim``."""
        expression = Expression()
        condition = f"{expression.path(f'{claim}.token')} = {expression.value(token)}"
        update = f"REMOVE {expression.path(removed)}"
        return self._conditional_update(user_id, update, condition, expression)


def _item_as_it_was(error: Exception) -> dict[str, Any] | None:
    """The item a failed conditional write returned (ReturnValuesOnConditionCheckFailure)."""
    item = (getattr(error, "response", None) or {}).get("Item")
    return from_item(item) if item else None
