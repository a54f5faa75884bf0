"""The console's questions about what the embedded AWS stores, answered in its own process.

A page of a 100,000-user table, filtered and counted, would need a full Scan through moto's
HTTP front end for every refresh (seconds); read in place from moto's store (one pass over
its items, no copy of the rows) it takes milliseconds. Like ``moto_stores``, these run in the
AWS process (``aws_process`` answers them for the runtime) and return plain values: emails and
names as stored (the runtime's console masks them).

Example::

    users_page("onramp-users", status="failed", search="", offset=0, limit=50)
    mailbox_page("onramp-users", user_id="", offset=0, limit=20)
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.ses.models import ses_backends

from onramp.local.aws.moto_stores import recipients
from onramp.local.aws.server import ACCOUNT_ID, REGION

ROW_FIELDS = ("user_id", "status", "failure_reason", "email", "created_at", "updated_at")
WAITING_STATUSES = ("pending", "processing")


def users_page(
    table: str,
    status: str = "",
    reason: str = "",
    search: str = "",
    offset: int = 0,
    limit: int = 50,
    older_than_s: float | None = None,
) -> dict[str, Any]:
    """One page of the table's users, newest first, with the counts a console shows.

    ``status``/``reason``: exact match; ``search``: a user id (exact or prefix) or part of an
    email (case-insensitive); ``older_than_s``: only users still pending or processing whose
    last change is older than that. Returns ``total`` (the table), ``matched``,
    ``by_status`` and ``by_reason`` (the whole table) and ``users`` (the page's rows).
    """
    attrs_of = [item.attrs for item in list(_table(table).items.values())]  # a snapshot
    statuses = [_text(attrs, "status") for attrs in attrs_of]
    reasons = [_text(attrs, "failure_reason") for attrs in attrs_of]
    by_status, by_reason = Counter(statuses), Counter(r for r in reasons if r)
    needle = search.strip().lower()
    cutoff = None if older_than_s is None else datetime.now(UTC).timestamp() - older_than_s
    matched = [
        attrs
        for attrs, item_status, item_reason in zip(attrs_of, statuses, reasons, strict=True)
        if (not status or item_status == status)
        and (not reason or item_reason == reason)
        and (
            not needle
            or _text(attrs, "user_id").startswith(needle)
            or needle in _text(attrs, "email").lower()
        )
        and (cutoff is None or (item_status in WAITING_STATUSES and _changed_at(attrs) < cutoff))
    ]
    wanted = offset + limit
    if not limit or offset >= len(matched):
        page = []
    elif wanted * 4 < len(matched):  # a page near the top: no full sort
        page = heapq.nlargest(wanted, matched, key=_newest_first)[offset:]
    else:
        page = sorted(matched, key=_newest_first, reverse=True)[offset:wanted]
    return {
        "total": len(attrs_of),
        "matched": len(matched),
        "by_status": dict(by_status),
        "by_reason": dict(by_reason),
        "users": [_row(attrs) for attrs in page],
    }


def mailbox_page(table: str, user_id: str = "", offset: int = 0, limit: int = 20) -> dict[str, Any]:
    """The emails SES accepted, newest first, each with its message id and the user it went
    to (user id and the ``welcome_email.sent_at`` the handler recorded): ``total``,
    ``matched``, ``emails``. ``user_id``: only that user's."""
    messages = list(ses_backends[ACCOUNT_ID][REGION].sent_messages)
    users = _table(table).items
    if user_id:
        item = users.get(DynamoType({"S": user_id}))  # moto keys its items by typed value
        address = _text(item.attrs, "email").lower() if item is not None else ""
        chosen = [m for m in messages if address and address in map(str.lower, recipients(m))]
    else:
        chosen = messages
    chosen.reverse()
    page = chosen[offset : offset + limit]
    wanted = {a.lower() for m in page for a in recipients(m)}
    owners = {}
    if wanted:
        for item in list(users.values()):
            email = _text(item.attrs, "email").lower()
            if email in wanted:
                owners[email] = item.attrs
    emails = []
    for message in page:
        to = recipients(message)
        owner = next((owners[a.lower()] for a in to if a.lower() in owners), None)
        welcome = _plain(owner.get("welcome_email")) if owner is not None else None
        welcome = welcome if isinstance(welcome, dict) else {}
        emails.append(
            {
                "message_id": getattr(message, "id", ""),
                "user_id": _text(owner, "user_id") if owner is not None else None,
                "sent_at": welcome.get("sent_at"),
                "recorded_message_id": welcome.get("message_id"),
                "source": getattr(message, "source", ""),
                "to": to,
                "subject": getattr(message, "subject", ""),
                "body": getattr(message, "body", getattr(message, "raw_data", "")),
            }
        )
    return {"total": len(messages), "matched": len(chosen), "emails": emails}


def _newest_first(attrs: Any) -> tuple[str, str]:
    return _text(attrs, "created_at"), _text(attrs, "user_id")


def _table(name: str) -> Any:
    tables = dynamodb_backends[ACCOUNT_ID][REGION].tables
    if name not in tables:
        raise KeyError(f"no table {name}")
    return tables[name]


def _text(attrs: Any, name: str) -> str:
    value = attrs.get(name) if attrs is not None else None
    return value.value if value is not None and isinstance(value.value, str) else ""


def _changed_at(attrs: Any) -> float:
    stamp = _text(attrs, "updated_at") or _text(attrs, "created_at")
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


def _row(attrs: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: _text(attrs, name) or None for name in ROW_FIELDS}
    welcome = _plain(attrs.get("welcome_email"))
    row["message_id"] = welcome.get("message_id") if isinstance(welcome, dict) else None
    return row


def _plain(value: Any) -> Any:
    """A moto attribute as a Python value (numbers as strings: JSON and pickle keep them)."""
    if value is None:
        return None
    cast = value.cast_value
    return _stringify(cast)


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_stringify(v) for v in value]
    if isinstance(value, str | bool) or value is None:
        return value
    return str(value)


QUERIES: dict[str, Callable[..., dict[str, Any]]] = {
    "users_page": users_page,
    "mailbox_page": mailbox_page,
}
