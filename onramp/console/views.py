"""The console's JSON admin views (``GET /_onramp/<name>[/<target>]?query``) and actions.

- ``users?status=&reason=&q=&user_id=&older_than=&offset=&limit=``: a page of users, newest
  first, with the table's counts (``older_than``: only users still pending or processing
  past it, e.g. ``5m``); ``users/<id or email>``: that user's timeline (``timeline``).
- ``emails?user_id=&offset=&limit=``: the mailbox, newest first, each email with its message
  id, user id and the time the handler recorded.
- ``counters``: accepted, users by status and reason, emails, dead letters, per-function
  invocations, errors and p99 of the last 1,000.
- ``dlq``: each dead-letter message with the users it names (the replay's dry run, the
  code of ``onramp replay-dlq``); ``POST dlq/replay``: replay them.

An unknown user is ``NotFound`` (404 naming it), a bad query ``BadQuery`` (400 naming the
parameter). Events and items are PII-masked (``pii``); the mailbox shows emails as sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from onramp.console import replay, timeline
from onramp.console.assets import asset
from onramp.console.pii import masked
from onramp.local.api.admin_errors import BadQuery, NotFound

if TYPE_CHECKING:
    from onramp.local.stack import ConsoleRoutes, EmbeddedStack

Query = Mapping[str, list[str]]
MAX_LIMIT = 500
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def routes(stack: EmbeddedStack) -> ConsoleRoutes:
    """What ``EmbeddedStack(console=routes)`` serves: the GET views (``name -> view(target,
    query)``) and the POST actions."""
    return queries(stack), actions(stack)


def queries(stack: EmbeddedStack) -> dict[str, Callable[[str, Query], Any]]:
    """The GET views that take a target and a query: ``name -> view(target, query)``."""
    return {
        "": lambda target, query: asset("index.html"),
        "console": lambda target, query: asset(target),
        "users": lambda target, query: user(stack, target) if target else users(stack, query),
        "emails": lambda target, query: emails(stack, _no_target(target, query)),
        "counters": lambda target, query: counters(stack),
        "dlq": lambda target, query: replay.dead_letter_report(stack),
    }


def actions(stack: EmbeddedStack) -> dict[str, Callable[[str, Any], Any]]:
    """The POST actions: ``dlq/replay``."""
    return {"dlq": lambda what, _: replay.replay(stack) if what == "replay" else _unknown(what)}


def users(stack: EmbeddedStack, query: Query) -> dict[str, Any]:
    """A page of users (see the module docstring), emails masked."""
    params = _params(query, {"status", "reason", "q", "user_id", "older_than", "offset", "limit"})
    older = params.get("older_than")
    offset, limit = _int(params, "offset", 0, 0, None), _int(params, "limit", 50, 0, MAX_LIMIT)
    page = _users_page(
        stack,
        status=params.get("status", ""),
        reason=params.get("reason", ""),
        search=params.get("user_id") or params.get("q", ""),
        offset=offset,
        limit=limit,
        older_than_s=None if older is None else duration_s(older, "older_than"),
    )
    page["users"] = [masked(row) for row in page["users"]]
    return {**page, "offset": offset, "limit": limit}


def user(stack: EmbeddedStack, id_or_email: str) -> dict[str, Any]:
    """One user's timeline: item, audit trail, invocations, email, dead letters, next step."""
    user_id = resolve_user(stack, id_or_email)
    item = _get_item(stack, "UsersTable", user_id)
    touches = stack.recorder.traces.touches(user_id)
    mailbox = stack.console_query("mailbox_page", table=_table(stack), user_id=user_id, limit=1)
    email = mailbox["emails"][0] if mailbox["emails"] else None
    if email is not None:
        email = {k: v for k, v in email.items() if k != "body"}
    return timeline.build(
        item,
        _audit(stack, user_id),
        touches,
        email,
        replay.dead_letters_of(stack, touches),
        now=time.time(),
    )


def emails(stack: EmbeddedStack, query: Query) -> dict[str, Any]:
    """The mailbox page (bodies as sent)."""
    params = _params(query, {"user_id", "offset", "limit"})
    user_id = params.get("user_id", "")
    if user_id:
        resolve_user(stack, user_id)
    offset, limit = _int(params, "offset", 0, 0, None), _int(params, "limit", 20, 0, MAX_LIMIT)
    page = stack.console_query(
        "mailbox_page", table=_table(stack), user_id=user_id, offset=offset, limit=limit
    )
    return {**page, "offset": offset, "limit": limit}


def counters(stack: EmbeddedStack) -> dict[str, Any]:
    """The live counters of the console's header."""
    page = _users_page(stack, limit=0)
    recorded = stack.recorder.counters()
    statuses = recorded["api_status_counts"]
    recent = stack.recorder.recent_durations()
    return {
        "uptime_s": round(time.time() - stack.started_at, 1),
        "accepted": sum(n for code, n in statuses.items() if code.startswith("2")),
        "rejected": sum(n for code, n in statuses.items() if code.startswith("4")),
        "users": page["total"],
        "by_status": page["by_status"],
        "by_reason": page["by_reason"],
        "emails": stack.sent_email_count(),
        "dead_letters": len(stack.dead_letters()),
        "functions": {
            key: {
                "invocations": recorded["invocations"].get(key, 0),
                "errors": recorded["errors"].get(key, 0),
                "p99_ms": recent[key].p99 if key in recent else None,
            }
            for key in stack.runtimes
        },
    }


def resolve_user(stack: EmbeddedStack, id_or_email: str) -> str:
    """The user id of ``id_or_email`` (an id of the table, or a stored email); NotFound."""
    if "@" in id_or_email:
        page = _users_page(stack, search=id_or_email, limit=MAX_LIMIT)
        ids = [u["user_id"] for u in page["users"] if u["email"].lower() == id_or_email.lower()]
        if not ids:
            raise NotFound(f"no user with email {id_or_email} in the Users table")
        return str(ids[0])
    stored = _get_item(stack, "UsersTable", id_or_email)
    return str(stored["user_id"])


def duration_s(text: str, name: str) -> float:
    """``5m``, ``300``, ``300s``, ``1.5h``, ``500ms`` in seconds; BadQuery otherwise."""
    found = DURATION.match(text.strip())
    if found is None:
        raise BadQuery(f"{name}: {text!r} is not a duration (e.g. 300, 300s, 5m, 1h)")
    return float(found.group(1)) * UNITS_S[found.group(2)]


def _users_page(stack: EmbeddedStack, **arguments: Any) -> dict[str, Any]:
    return stack.console_query("users_page", table=_table(stack), **arguments)


def _table(stack: EmbeddedStack) -> str:
    return stack.resources.table_names["UsersTable"]


def _get_item(stack: EmbeddedStack, logical_id: str, user_id: str) -> dict[str, Any]:
    table = stack.resources.table_names[logical_id]
    found = stack.client("dynamodb").get_item(TableName=table, Key={"user_id": {"S": user_id}})
    if "Item" not in found:
        raise NotFound(f"no user {user_id} in the Users table")
    return _plain(found["Item"])


def _audit(stack: EmbeddedStack, user_id: str) -> list[dict[str, Any]]:
    table = stack.resources.table_names.get("AuditTable")
    if table is None:
        return []
    paginator = stack.client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user_id}},
    )
    return [_plain(item) for page in pages for item in page["Items"]]


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {k: _json_safe(deserializer.deserialize(v)) for k, v in item.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    return int(value) if value == int(value) else float(value)  # a Decimal


def _params(query: Query, allowed: set[str]) -> dict[str, str]:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise BadQuery(
            f"unknown query parameter {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )
    repeated = [name for name, values in query.items() if len(values) > 1]
    if repeated:
        raise BadQuery(f"query parameter {repeated[0]!r} given more than once")
    return {name: values[0] for name, values in query.items()}


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadQuery(f"{name}: must be an integer, not {text!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise BadQuery(f"{name}: must be {bound}, not {value}")
    return value


def _no_target(target: str, query: Query) -> Query:
    if target:
        raise NotFound(f"no view emails/{target} (ask emails?user_id={target})")
    return query


def _unknown(what: str) -> Any:
    raise NotFound(f"no action dlq/{what} (POST /_onramp/dlq/replay)")
